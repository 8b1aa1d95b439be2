package notify

import (
	"encoding/json"
	"errors"
	"fmt"
)

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

// structure is the MessageStructure=json body: one string per protocol.
// The machine-readable protocols all get the same document.
type structure struct {
	Default     string `json:"default"`
	Email       string `json:"email"`
	SMS         string `json:"sms"`
	APNS        string `json:"APNS"`
	APNSSandbox string `json:"APNS_SANDBOX"`
	GCM         string `json:"GCM"`
	EmailJSON   string `json:"email-json"`
	SQS         string `json:"sqs"`
	Lambda      string `json:"lambda"`
	HTTP        string `json:"http"`
	HTTPS       string `json:"https"`
	Firehose    string `json:"firehose"`
}

// Structure returns the message as SNS's MessageStructure=json body.
func (m Message) Structure() (string, error) {
	b, err := json.Marshal(structure{
		Default:     m.Default,
		Email:       m.Email,
		SMS:         m.SMS,
		APNS:        m.APNS,
		APNSSandbox: m.APNS,
		GCM:         m.GCM,
		EmailJSON:   m.Document,
		SQS:         m.Document,
		Lambda:      m.Document,
		HTTP:        m.Document,
		HTTPS:       m.Document,
		Firehose:    m.Document,
	})
	if err != nil {
		return "", fmt.Errorf("marshal message structure: %w", err)
	}
	return string(b), nil
}
