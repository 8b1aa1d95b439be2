package localaws

import (
	"errors"
	"fmt"
	"testing"
)

// recordingTB records how a helper ended the test instead of ending it.
type recordingTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Skipf(string, ...any)      { r.skipped = true }
func (r *recordingTB) Fatalf(string, ...any)     { r.failed = true }
func (r *recordingTB) Errorf(f string, a ...any) { r.failed = true }

func TestSkipOrFatal(t *testing.T) {
	missing := fmt.Errorf("start moto: %w", ErrToolMissing)
	tests := []struct {
		name        string
		ci          string
		err         error
		wantSkipped bool
	}{
		{name: "missing tool on a laptop skips", ci: "", err: missing, wantSkipped: true},
		{name: "missing tool in CI fails", ci: "true", err: missing},
		{name: "other error fails", ci: "", err: errors.New("boom")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			rec := &recordingTB{}
			SkipOrFatal(rec, "setup", tc.err)
			if rec.skipped != tc.wantSkipped || rec.failed == tc.wantSkipped {
				t.Errorf("skipped %v, failed %v; want skipped %v", rec.skipped, rec.failed, tc.wantSkipped)
			}
		})
	}
}
