package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		mode cleanMode
		want string
	}{
		{name: "line unchanged", in: "web-server 2026", max: 64, mode: modeLine, want: "web-server 2026"},
		{name: "line breaks and tabs become one space", in: "a\r\n\tb\n\nc", max: 64, mode: modeLine, want: "a b c"},
		{name: "ends trimmed, runs collapsed", in: "  a   b  ", max: 64, mode: modeLine, want: "a b"},
		{name: "control characters", in: "a\x00b\x1b[31mc\x7fd", max: 64, mode: modeLine, want: "a b [31mc d"},
		{name: "C1 control", in: "a\u0085b", max: 64, mode: modeLine, want: "a b"},
		{name: "line separator", in: "a\u2028b\u2029c", max: 64, mode: modeLine, want: "a b c"},
		{name: "bidi override", in: "invoice\u202egnp.exe", max: 64, mode: modeLine, want: "invoice gnp.exe"},
		{name: "zero-width and format characters", in: "c\u200bd\u00ade\u2060f\U000E0041g", max: 64, mode: modeLine, want: "c d e f g"},
		{name: "no-break space", in: "a\u00a0b", max: 64, mode: modeLine, want: "a b"},
		{name: "emoji kept in UTF-8", in: "ship 🚀 it", max: 64, mode: modeLine, want: "ship 🚀 it"},
		{name: "invalid UTF-8 in a line", in: "a\xffb", max: 64, mode: modeLine, want: "a b"},
		{name: "line cut with ellipsis", in: "abcdefghij", max: 5, mode: modeLine, want: "abcd…"},
		{name: "line cut counts runes", in: "üüüüüü", max: 4, mode: modeLine, want: "üüü…"},
		{name: "line cut drops space before ellipsis", in: "abc defgh", max: 5, mode: modeLine, want: "abc…"},
		{name: "line exactly max", in: "abcde", max: 5, mode: modeLine, want: "abcde"},
		{name: "line max zero", in: "abc", max: 0, mode: modeLine, want: ""},
		{name: "only spaces", in: " \n\t ", max: 10, mode: modeLine, want: ""},
		{name: "ascii folds Latin-1", in: "Café Ñandú Øre", max: 64, mode: modeASCII, want: "Cafe Nandu Ore"},
		{name: "ascii collapses other scripts", in: "ビルド 2026 🚀🚀", max: 64, mode: modeASCII, want: "? 2026 ?"},
		{name: "ascii keeps a real question mark", in: "why??", max: 64, mode: modeASCII, want: "why??"},
		{name: "ascii keeps brackets", in: "[a]{b}|c~", max: 64, mode: modeASCII, want: "[a]{b}|c~"},
		{name: "ascii cut with three dots", in: "abcdefghij", max: 6, mode: modeASCII, want: "abc..."},
		{name: "ascii max below ellipsis", in: "abcdefghij", max: 2, mode: modeASCII, want: "ab"},
		{name: "gsm replaces escape characters", in: "[a]{b}|c~^\\`d", max: 64, mode: modeGSM, want: "(a)(b)/c--/'d"},
		{name: "gsm keeps basic punctuation", in: `a@b$c_d!"#%&'()*+,-./:;<=>?`, max: 64, mode: modeGSM, want: `a@b$c_d!"#%&'()*+,-./:;<=>?`},
		{name: "text keeps line breaks", in: "a\nb\tc", max: 64, mode: modeText, want: "a\nb\tc"},
		{name: "text replaces invalid UTF-8", in: "a\xff\xfeb", max: 64, mode: modeText, want: "a\ufffd\ufffdb"},
		{name: "text cut", in: "abcdef", max: 3, mode: modeText, want: "ab…"},
		{name: "empty", in: "", max: 10, mode: modeASCII, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clean(tc.in, tc.max, tc.mode); got != tc.want {
				t.Errorf("clean(%q, %d, %d): got %q, want %q", tc.in, tc.max, tc.mode, got, tc.want)
			}
		})
	}
}

// TestCleanIdempotent checks that clean accepts its own output unchanged:
// the fast path and the slow path agree.
func TestCleanIdempotent(t *testing.T) {
	inputs := []string{"", " a ", "a\n\nb", "ü🚀x\u202e", "\xff\xfe", "[{x}]", strings.Repeat("ab ", 50), "e\u0301"}
	for _, mode := range []cleanMode{modeText, modeLine, modeASCII, modeGSM} {
		for _, in := range inputs {
			for _, max := range []int{0, 1, 3, 5, 64, noLimit} {
				once := clean(in, max, mode)
				if twice := clean(once, max, mode); twice != once {
					t.Errorf("mode %d max %d: clean(%q) = %q, but clean of that = %q", mode, max, in, once, twice)
				}
				if !isClean(once, max, mode) {
					t.Errorf("mode %d max %d: isClean(clean(%q) = %q) is false", mode, max, in, once)
				}
			}
		}
	}
}

func TestCleanDoesNotAllocateWhenClean(t *testing.T) {
	s := "web-server-al2023-2026-03-14 (eu-west-1)"
	allocs := testing.AllocsPerRun(100, func() {
		_ = clean(s, 128, modeLine)
		_ = clean(s, 128, modeASCII)
	})
	if allocs != 0 {
		t.Errorf("clean of a clean string: got %v allocations, want 0", allocs)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", `"quoted" \back\`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<tag>&amp;", "\u2028\u2029", "\xff\xfe", "ü🚀"}
	for _, in := range inputs {
		// appendJSONString writes what an encoder without HTML escaping does.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			t.Fatalf("encode: %v", err)
		}
		if got, want := string(appendJSONString(nil, in)), strings.TrimSuffix(b.String(), "\n"); got != want {
			t.Errorf("appendJSONString(%q): got %s, want %s", in, got, want)
		}
		// jsonStringLen measures what appendJSONString writes.
		if n, want := jsonStringLen(in), b.Len()-1; n != want {
			t.Errorf("jsonStringLen(%q): got %d, want %d", in, n, want)
		}
	}
}
