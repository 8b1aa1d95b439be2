// Package ami is the Lambda side of ami-notify: it decodes and validates
// EventBridge "EC2 AMI State Change" events, asks EC2 about the image,
// applies the skip and routing rules and hands the notification to notify.
package ami

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ami-notify/ami-notify/notify"
)

// The only event this function accepts.
const (
	eventSource     = "aws.ec2"
	eventDetailType = "EC2 AMI State Change"
)

// Longest strings taken from an event before validation gives up on them;
// real values are far shorter, and bounding them keeps logs and errors small.
const (
	maxIDLen    = 64
	maxStateLen = 32
)

// RejectedError means the event is not one this function can notify about:
// misrouted, malformed or missing its image id. Nothing is published for it.
// Its type name is what Lambda reports as errorType.
type RejectedError struct {
	EventID string
	Reason  string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("rejected event %q: %s", e.EventID, e.Reason)
}

// detail is the "detail" object of an EC2 AMI State Change event.
type detail struct {
	RequestID    string `json:"RequestId"`
	ImageID      string `json:"ImageId"`
	State        string `json:"State"`
	ErrorMessage string `json:"ErrorMessage"`
}

// envelope is the EventBridge event as it arrives. Its Time shadows the
// embedded time.Time: aws-lambda-go would fail the whole event on a time
// that is not RFC 3339, and documentation examples carry placeholders such
// as "yyyy-mm-ddThh:mm:ssZ" that people paste into sam local invoke.
type envelope struct {
	events.EventBridgeEvent
	Time string `json:"time"`
}

// Decode validates an EventBridge event and turns it into a state change.
// Every failure is a *RejectedError naming what was wrong; its EventID is
// filled in whenever the payload had a readable id.
func Decode(payload []byte) (notify.StateChange, error) {
	var ev envelope
	// Unmarshal keeps going past type errors, so the id is usually readable
	// even from an event it then rejects.
	err := json.Unmarshal(payload, &ev)
	reject := func(format string, args ...any) (notify.StateChange, error) {
		return notify.StateChange{}, &RejectedError{EventID: clip(ev.ID, maxIDLen), Reason: fmt.Sprintf(format, args...)}
	}
	if err != nil {
		return reject("event is not a valid EventBridge event: %v", err)
	}
	if ev.Source != eventSource || ev.DetailType != eventDetailType {
		return reject("not an AMI state change: source %q, detail-type %q", clip(ev.Source, 64), clip(ev.DetailType, 64))
	}
	if len(ev.Detail) == 0 || string(ev.Detail) == "null" {
		return reject("detail is missing")
	}
	var d detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return reject("detail is not an object of string fields: %v", err)
	}
	if d.ImageID == "" {
		return reject("detail.ImageId is missing or empty")
	}
	if !validImageID(d.ImageID) {
		return reject("detail.ImageId %q is not an AMI id (ami- and 8 or 17 hex digits)", clip(d.ImageID, maxIDLen))
	}
	if !validRegion(ev.Region) {
		return reject("region %q is not an AWS region name", clip(ev.Region, maxIDLen))
	}
	state := strings.ToLower(strings.TrimSpace(d.State))
	if state == "" {
		return reject("detail.State is missing or empty")
	}
	c := notify.StateChange{
		EventID:      clip(ev.ID, maxIDLen),
		Account:      clip(ev.AccountID, maxIDLen),
		Region:       ev.Region,
		ImageID:      d.ImageID,
		State:        clip(state, maxStateLen),
		RequestID:    clip(d.RequestID, maxIDLen),
		ErrorMessage: d.ErrorMessage,
		RawTime:      clip(ev.Time, maxIDLen),
	}
	if t, err := time.Parse(time.RFC3339, ev.Time); err == nil {
		c.Time = t.UTC()
	}
	return c, nil
}

// validImageID accepts "ami-" followed by 8 or 17 lowercase hex digits, the
// two forms EC2 has used.
func validImageID(id string) bool {
	hex, ok := strings.CutPrefix(id, "ami-")
	if !ok || (len(hex) != 8 && len(hex) != 17) {
		return false
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validRegion accepts names like us-east-1, eu-central-2 or
// us-gov-west-1: lowercase letters, digits and dashes, ending in a digit.
// The region picks an EC2 endpoint, so nothing else may pass.
func validRegion(r string) bool {
	if len(r) < 6 || len(r) > 32 || strings.Count(r, "-") < 2 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	last := r[len(r)-1]
	return last >= '0' && last <= '9'
}

// clip bounds a string taken from an event before it goes into a change,
// an error or a log line, cutting at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
