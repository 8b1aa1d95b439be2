package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanMode says what a channel accepts. Every user-controlled string
// (names, descriptions, tags, error texts, event fields) passes through
// clean with the mode of the channel it is rendered into.
type cleanMode uint8

const (
	// modeText keeps the text as it is (line breaks included) for machine
	// readers: only invalid UTF-8 is replaced, and the length bounded. JSON
	// encoding does the escaping.
	modeText cleanMode = iota
	// modeLine makes one line of UTF-8 for people: control characters,
	// line and paragraph separators and bidirectional-override characters
	// (which can make a name read differently from what it is) become
	// spaces, runs of spaces collapse to one, ends are trimmed.
	modeLine
	// modeASCII is modeLine restricted to printable ASCII, as SNS wants the
	// email subject: Latin-1 letters lose their accents, anything else
	// becomes '?'.
	modeASCII
	// modeGSM is modeASCII without the characters that GSM-7 has only in
	// its escape table ({}[]~^\|) or not at all (`), so an SMS stays one
	// segment of 160 septets at one septet per character.
	modeGSM
)

// Ellipses mark text that was cut. The ASCII one is three characters, so
// cutting to n characters keeps n-3 of the original.
const (
	ellipsis      = "…"
	asciiEllipsis = "..."
)

// noLimit bounds nothing; used when only the characters matter.
const noLimit = int(^uint(0) >> 1)

// clean makes s acceptable for mode and at most max runes long (bytes and
// runes agree in the ASCII modes), cutting with an ellipsis when it is
// longer. It returns s itself, without allocating, when s is already fine:
// that is the common case and the hot path.
func clean(s string, limit int, mode cleanMode) string {
	if isClean(s, limit, mode) {
		return s
	}
	return rebuild(s, limit, mode)
}

// isClean reports whether clean would return s unchanged.
func isClean(s string, limit int, mode cleanMode) bool {
	n := 0
	// In the line modes a space may not start or end the text or follow
	// another space; starting as if after a space rejects a leading one.
	afterSpace := true
	for i := 0; i < len(s); n++ {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if mode == modeText {
				continue
			}
			switch {
			case c == ' ':
				if afterSpace {
					return false
				}
				afterSpace = true
				continue
			case c < 0x20 || c == 0x7f:
				return false
			case mode == modeGSM && gsmReplacement[c] != 0:
				return false
			}
			afterSpace = false
			continue
		}
		if mode == modeASCII || mode == modeGSM {
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if mode == modeLine && isBlank(r) {
			return false
		}
		afterSpace = false
		i += size
	}
	if mode != modeText && afterSpace && s != "" {
		return false // trailing space
	}
	return n <= limit
}

// rebuild is the slow path of clean: it writes the acceptable form of s,
// stopping once it knows s is too long, and then cuts at the last rune
// boundary that leaves room for the ellipsis.
func rebuild(s string, limit int, mode cleanMode) string {
	mark, markRunes := ellipsis, 1
	if mode == modeASCII || mode == modeGSM {
		mark, markRunes = asciiEllipsis, 3
	}
	if limit < markRunes {
		// No room for an ellipsis: cut bare.
		mark, markRunes = "", 0
	}

	grow := len(s)
	if limit < grow { // limit*UTFMax cannot overflow then
		grow = min(grow, limit*utf8.UTFMax)
	}
	var b strings.Builder
	b.Grow(grow + len(mark))
	n := 0           // runes written
	cutAt := -1      // bytes written when limit-markRunes runes were
	pending := false // a space is owed before the next visible rune
	lastWasUnknown := false
	if limit-markRunes == 0 {
		cutAt = 0
	}
	for _, r := range s { // ranging over a string turns invalid bytes into utf8.RuneError
		if mode != modeText && (r < 0x20 || r == 0x7f || r == ' ' || isBlank(r)) {
			pending = n > 0
			lastWasUnknown = false
			continue
		}
		var out rune
		switch mode {
		case modeText, modeLine:
			out = r
		case modeASCII, modeGSM:
			out = toASCII(r)
			if out == '?' && r != '?' {
				// Collapse a run of unrepresentable runes (a word in
				// another script, an emoji sequence) into one '?'.
				if lastWasUnknown {
					continue
				}
				lastWasUnknown = true
			} else {
				lastWasUnknown = false
			}
			if mode == modeGSM && out < utf8.RuneSelf && gsmReplacement[out] != 0 {
				out = rune(gsmReplacement[out])
			}
		}
		if pending {
			pending = false
			if n == limit {
				return cut(b.String(), cutAt, mark)
			}
			b.WriteByte(' ')
			n++
			if n == limit-markRunes {
				cutAt = b.Len()
			}
		}
		if n == limit {
			return cut(b.String(), cutAt, mark)
		}
		b.WriteRune(out)
		n++
		if n == limit-markRunes {
			cutAt = b.Len()
		}
	}
	return b.String()
}

// cut keeps s[:at], without a trailing space, and appends the ellipsis.
func cut(s string, at int, mark string) string {
	if at < 0 {
		at = 0
	}
	return strings.TrimRight(s[:at], " ") + mark
}

// isBlank reports the non-ASCII runes that a single line must not show:
// C1 controls, line and paragraph separators, no-break spaces, and every
// format character (Unicode category Cf: the byte-order mark, zero-width
// spaces and joiners, soft hyphens, bidirectional marks, embeddings,
// overrides and isolates, tag characters), which can hide or reorder text.
func isBlank(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x00a0, r == 0x2007, r == 0x202f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x80 && unicode.Is(unicode.Cf, r):
		return true
	case r == utf8.RuneError:
		// Invalid UTF-8 in a line for people: show a space rather than a
		// replacement character.
		return true
	}
	return false
}

// latin1Fold maps U+00C0..U+00FF to ASCII: the letter without its accent,
// 'x' for the multiplication sign and '/' for the division sign.
const latin1Fold = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty"

// toASCII returns r when it is printable ASCII, its accent-free letter
// when it is a Latin-1 letter, and '?' otherwise.
func toASCII(r rune) rune {
	switch {
	case r >= 0x20 && r < 0x7f:
		return r
	case r >= 0xc0 && r <= 0xff:
		return rune(latin1Fold[r-0xc0])
	}
	return '?'
}

// gsmReplacement holds, for the printable ASCII characters that are not in
// the GSM-7 basic character set, a look-alike that is; zero elsewhere.
var gsmReplacement = [utf8.RuneSelf]byte{
	'[':  '(',
	'{':  '(',
	']':  ')',
	'}':  ')',
	'\\': '/',
	'|':  '/',
	'~':  '-',
	'^':  '-',
	'`':  '\'',
}
