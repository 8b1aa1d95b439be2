package notify

import "unicode/utf8"

// These mirror encoding/json's string encoding so that the renderer can
// build small JSON pieces and measure the SNS message without encoding it.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping what JSON requires
// and encoding/json escapes (not '<', '>' and '&': see marshalDocument).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonStringLen is the length of appendJSONString(nil, s), quotes included.
func jsonStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != '"' && c != '\\':
				n++
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// structureKeysLen is the length of Message.Structure() without its string
// values: braces, keys, colons, commas and the values' quotes are counted
// by jsonStringLen.
var structureKeysLen = len(`{"default":,"email":,"sms":,"APNS":,"APNS_SANDBOX":,"GCM":,"email-json":,"sqs":,"lambda":,"http":,"https":,"firehose":}`)

// structureLen is len(m.Structure()), computed without encoding: the
// document is there six times and the APNS payload twice.
func structureLen(m Message) int {
	return structureKeysLen +
		jsonStringLen(m.Default) +
		jsonStringLen(m.Email) +
		jsonStringLen(m.SMS) +
		2*jsonStringLen(m.APNS) +
		jsonStringLen(m.GCM) +
		6*jsonStringLen(m.Document)
}
