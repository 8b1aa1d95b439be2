package notify

import "errors"

// MaxMessageBytes is SNS's limit on one published message, attributes
// included.
const MaxMessageBytes = 262144

// ErrTooLarge is returned when a rendered message would exceed SNS's limit.
var ErrTooLarge = errors.New("notify: message too large")

// Message is a notification rendered once per kind of SNS subscriber.
type Message struct {
	// Subject is used by email subscribers: printable ASCII, 1..99 characters.
	Subject string
	// Default is short plain text for any protocol without its own body.
	Default string
	// Email is the plain-text email body.
	Email string
	// SMS is one GSM-7-safe segment.
	SMS string
	// APNS and GCM are JSON documents, as SNS wants them, for mobile push.
	APNS string
	GCM  string
	// Document is the versioned machine-readable JSON document.
	Document string
}

// Structure returns the message as SNS's MessageStructure=json body: one
// string per protocol, the machine-readable protocols all getting the
// document. It is written directly rather than with json.Marshal, which
// would escape every '<', '>' and '&' as six bytes in the six copies of the
// document; structureLen computes its exact length without writing it.
func (m Message) Structure() (string, error) {
	b := make([]byte, 0, structureLen(m))
	for i, kv := range [...]struct{ key, value string }{
		{"default", m.Default},
		{"email", m.Email},
		{"sms", m.SMS},
		{"APNS", m.APNS},
		{"APNS_SANDBOX", m.APNS},
		{"GCM", m.GCM},
		{"email-json", m.Document},
		{"sqs", m.Document},
		{"lambda", m.Document},
		{"http", m.Document},
		{"https", m.Document},
		{"firehose", m.Document},
	} {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, kv.key...)
		b = append(b, '"', ':')
		b = appendJSONString(b, kv.value)
	}
	return string(append(b, '}')), nil
}
