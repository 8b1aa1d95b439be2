package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenDir = "testdata/golden"

// channel is one rendered field of a Message, as stored in a golden file.
type channel struct {
	name string
	text string
	json bool // stored indented, so a reviewer can read it
}

func channels(m Message) []channel {
	return []channel{
		{name: "subject", text: m.Subject},
		{name: "sms", text: m.SMS},
		{name: "email", text: m.Email},
		{name: "default", text: m.Default},
		{name: "apns", text: m.APNS, json: true},
		{name: "gcm", text: m.GCM, json: true},
		{name: "document", text: m.Document, json: true},
	}
}

func newTestRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	r, err := NewRenderer()
	if err != nil {
		tb.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// TestRenderGolden renders every case for every channel and compares with
// testdata/golden/<case>.<channel>.golden. Run `go test ./notify -update`
// after changing a template, and review the diff.
func TestRenderGolden(t *testing.T) {
	r := newTestRenderer(t)
	want := map[string]bool{}
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.Render(tc.n)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, ch := range channels(m) {
				name := tc.name + "." + ch.name + ".golden"
				want[name] = true
				text := ch.text
				if ch.json {
					text = indentJSON(t, text)
				}
				checkGolden(t, filepath.Join(goldenDir, name), text)
			}
		})
	}
	// A renamed or removed case must not leave its files behind.
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatalf("read %s: %v", goldenDir, err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			if *update {
				if err := os.Remove(filepath.Join(goldenDir, e.Name())); err != nil {
					t.Fatalf("remove stale golden file: %v", err)
				}
				continue
			}
			t.Errorf("stale golden file %s: no case renders it (run with -update to remove it)", e.Name())
		}
	}
}

func indentJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		t.Fatalf("invalid JSON %q: %v", s, err)
	}
	return b.String() + "\n"
}

// checkGolden compares got with the golden file at path, or rewrites the
// file with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("create golden dir: %v", err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run `go test ./notify -update` to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what was rendered (- golden, + rendered; run with -update to accept):\n%s",
			path, lineDiff(string(want), got))
	}
}

// lineDiff shows how b differs from a, line by line, with two lines of
// context around each change. It uses a longest-common-subsequence table:
// golden files are small.
func lineDiff(a, b string) string {
	x, y := splitLines(a), splitLines(b)
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-' or '+'
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, op{' ', x[i]})
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', y[j]})
			j++
		default:
			ops = append(ops, op{'-', x[i]})
			i++
		}
	}
	const context = 2
	var out strings.Builder
	last := -1
	for k, o := range ops {
		near := false
		for d := max(0, k-context); d <= min(len(ops)-1, k+context); d++ {
			if ops[d].kind != ' ' {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			out.WriteString("  ...\n")
		}
		fmt.Fprintf(&out, "%c %q\n", o.kind, o.text)
		last = k
	}
	return out.String()
}

func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []string // lines the diff must contain
	}{
		{name: "changed line", a: "a\nb\nc\n", b: "a\nB\nc\n", want: []string{`- "b\n"`, `+ "B\n"`, `  "a\n"`}},
		{name: "added line", a: "a\n", b: "a\nz\n", want: []string{`+ "z\n"`}},
		{name: "removed line", a: "a\nz\n", b: "a\n", want: []string{`- "z\n"`}},
		{name: "missing final newline", a: "a\n", b: "a", want: []string{`- "a\n"`, `+ "a"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Split(lineDiff(tc.a, tc.b), "\n")
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("lineDiff(%q, %q) = %q, want a line %q", tc.a, tc.b, got, w)
				}
			}
		})
	}
}
