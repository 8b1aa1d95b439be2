package localaws

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// InCI reports whether the CI variable is true, where a missing tool must
// fail a test rather than skip it.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFatal ends the test for err: a skip when a tool is missing on a
// developer's machine, a failure in CI or for any other error.
func SkipOrFatal(tb testing.TB, what string, err error) {
	tb.Helper()
	if errors.Is(err, ErrToolMissing) && !InCI() {
		tb.Skipf("%s: %v", what, err)
		return
	}
	tb.Fatalf("%s: %v", what, err)
}

// NewMoto starts moto for a test and stops it when the test ends. Pass
// options as for StartMoto.
func NewMoto(tb testing.TB, opts MotoOptions) *Moto {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := StartMoto(ctx, opts)
	if err != nil {
		SkipOrFatal(tb, "start moto", err)
	}
	tb.Cleanup(func() {
		if err := m.Stop(); err != nil {
			tb.Errorf("stop moto: %v", err)
		}
	})
	return m
}
