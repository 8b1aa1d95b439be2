package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// snsDisplayPrefix is what SNS puts before a topic's SMS: our topics' display
// name and "> ".
const snsDisplayPrefix = "ami-notify> "

// checkMessage asserts the rules every rendered message must keep,
// whatever the notification: the ones SNS, SMS, APNs and FCM enforce, and
// our own. It is shared by the property tests and the fuzz target.
func checkMessage(t *testing.T, r *Renderer, n Notification, m Message) {
	t.Helper()
	checkSubject(t, n, m.Subject)
	checkSMS(t, n, m.SMS)
	checkPush(t, r, n, m)
	checkText(t, "email", m.Email)
	checkText(t, "default", m.Default)
	checkDocument(t, n, m.Document)

	s, err := m.Structure()
	if err != nil {
		t.Fatalf("Structure: %v", err)
	}
	if !json.Valid([]byte(s)) {
		t.Errorf("Structure() is not valid JSON: %.200q", s)
	}
	if len(s) > MaxMessageBytes-attributeReserve {
		t.Errorf("Structure() is %d bytes, want at most %d", len(s), MaxMessageBytes-attributeReserve)
	}
	if got := structureLen(m); got != len(s) {
		t.Errorf("structureLen = %d, want len(Structure()) = %d", got, len(s))
	}
	var keys map[string]string
	if err := json.Unmarshal([]byte(s), &keys); err != nil {
		t.Fatalf("Structure() is not an object of strings: %v", err)
	}
	if keys["default"] == "" {
		t.Errorf("Structure() has no default")
	}
}

// expectASCII is how the event field f appears in a subject or SMS:
// cleaned and bounded, or the placeholder when nothing is left.
func expectASCII(f string, max int, placeholder string) string {
	return orUnknown(clean(f, max, modeASCII), placeholder)
}

func checkSubject(t *testing.T, n Notification, s string) {
	t.Helper()
	if len(s) < 1 || len(s) > maxSubject {
		t.Errorf("subject %q is %d characters, want 1..%d", s, len(s), maxSubject)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			t.Errorf("subject %q has byte %#x at %d, want printable ASCII only", s, s[i], i)
			break
		}
	}
	if strings.TrimSpace(s) != s {
		t.Errorf("subject %q has leading or trailing space", s)
	}
	// State, image id and region are never shortened away.
	state := expectASCII(n.Change.State, maxStateASCII, "unknown")
	for _, want := range []string{
		state,
		expectASCII(n.Change.ImageID, maxIDASCII, "unknown image"),
		expectASCII(n.Change.Region, maxRegionASCII, "unknown region"),
	} {
		if !strings.Contains(s, want) {
			t.Errorf("subject %q does not contain %q", s, want)
		}
	}
	if n.Public() && !strings.HasPrefix(s, "[PUBLIC] ") {
		t.Errorf("subject %q of a public image does not start with [PUBLIC]", s)
	}
}

// gsmBasic reports whether c is one of the printable ASCII characters in
// the GSM-7 basic character set (one septet, no escape).
func gsmBasic(c byte) bool {
	if c < 0x20 || c > 0x7e {
		return false
	}
	return !strings.ContainsRune("[]{}\\|~^`", rune(c))
}

func checkSMS(t *testing.T, n Notification, s string) {
	t.Helper()
	if len(s) < 1 || len(s) > maxSMS {
		t.Errorf("SMS %q is %d characters, want 1..%d", s, len(s), maxSMS)
	}
	// One segment: 160 GSM-7 septets in 140 bytes, display name included.
	if got := len(snsDisplayPrefix + s); got > 140 {
		t.Errorf("SMS with SNS's prefix is %d bytes, want at most 140", got)
	}
	for i := 0; i < len(s); i++ {
		if !gsmBasic(s[i]) {
			t.Errorf("SMS %q has %q at %d, outside the GSM-7 basic set", s, s[i], i)
			break
		}
	}
	id := clean(expectASCII(n.Change.ImageID, maxIDASCII, "unknown image"), noLimit, modeGSM)
	if !strings.Contains(s, id) {
		t.Errorf("SMS %q does not contain the image id %q", s, id)
	}
	if n.Public() && !strings.Contains(s, "PUBLIC") {
		t.Errorf("SMS %q of a public image does not say PUBLIC", s)
	}
}

func checkPush(t *testing.T, r *Renderer, n Notification, m Message) {
	t.Helper()
	for _, p := range []struct{ name, payload string }{{"APNS", m.APNS}, {"GCM", m.GCM}} {
		if len(p.payload) > maxPushPayload {
			t.Errorf("%s payload is %d bytes, want at most %d", p.name, len(p.payload), maxPushPayload)
		}
		if !json.Valid([]byte(p.payload)) {
			t.Errorf("%s payload is not valid JSON: %q", p.name, p.payload)
		}
	}
	var apns struct {
		APS struct {
			Alert struct{ Title, Body string } `json:"alert"`
		} `json:"aps"`
	}
	if err := json.Unmarshal([]byte(m.APNS), &apns); err != nil {
		t.Fatalf("decode APNS: %v", err)
	}
	var gcm struct {
		FCMV1Message struct {
			Message struct {
				Notification struct{ Title, Body string } `json:"notification"`
				Data         map[string]string            `json:"data"`
			} `json:"message"`
		} `json:"fcmV1Message"`
	}
	if err := json.Unmarshal([]byte(m.GCM), &gcm); err != nil {
		t.Fatalf("decode GCM: %v (data values must be strings)", err)
	}
	alert := apns.APS.Alert
	if alert.Title == "" || alert.Body == "" {
		t.Errorf("APNS alert %+v has an empty title or body", alert)
	}
	if fcm := gcm.FCMV1Message.Message.Notification; fcm.Title != alert.Title || fcm.Body != alert.Body {
		t.Errorf("GCM notification %+v differs from APNS alert %+v", fcm, alert)
	}
	for _, key := range []string{"image_id", "state", "region"} {
		if gcm.FCMV1Message.Message.Data[key] == "" {
			t.Errorf("GCM data has no %s: %v", key, gcm.FCMV1Message.Message.Data)
		}
	}
	checkLine(t, "push title", alert.Title)
	checkLine(t, "push body", alert.Body)
	if n.Public() && !strings.Contains(alert.Title, "PUBLIC") {
		t.Errorf("push title %q of a public image does not say PUBLIC", alert.Title)
	}
	// Push payloads show on lock screens: no description, tags or errors.
	// Changing those must leave the payloads as they are.
	other := n
	other.Change.ErrorMessage = "other error"
	other.EnrichmentError = "other reason"
	if n.Image != nil {
		img := *n.Image
		img.Description, img.StateReason, img.Tags = "other description", "other reason", []Tag{{Key: "other", Value: "tag"}}
		other.Image = &img
	}
	om, err := r.Render(other)
	if err != nil {
		t.Fatalf("Render without secrets: %v", err)
	}
	if om.APNS != m.APNS || om.GCM != m.GCM {
		t.Errorf("push payloads depend on description, tags or error text:\n%s\n%s", m.APNS, om.APNS)
	}
}

// checkLine asserts s is one line of valid UTF-8 without control, format
// or line-breaking characters. Its rule is written out here, apart from the
// code's, so that a character class the code forgot shows up.
func checkLine(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s %q is not valid UTF-8", what, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			t.Errorf("%s %q contains %U", what, s, r)
			return
		}
	}
}

// checkText asserts s is valid UTF-8 whose only control character is the
// line feed, so no field broke the layout or smuggled escapes.
func checkText(t *testing.T, what, s string) {
	t.Helper()
	if s == "" {
		t.Errorf("%s is empty", what)
	}
	for _, line := range strings.Split(s, "\n") {
		checkLine(t, what+" line", line)
	}
}

func checkDocument(t *testing.T, n Notification, s string) {
	t.Helper()
	var doc Document
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("decode document: %v\n%.300s", err, s)
	}
	if doc.SchemaVersion != DocumentSchemaVersion {
		t.Errorf("schema_version = %d, want %d", doc.SchemaVersion, DocumentSchemaVersion)
	}
	if want := clean(n.Change.ImageID, ladder[len(ladder)-1].short, modeText); !strings.HasPrefix(doc.Event.ImageID, strings.TrimSuffix(want, ellipsis)) {
		t.Errorf("document image_id = %q, want %q", doc.Event.ImageID, want)
	}
	if doc.Public != n.Public() {
		t.Errorf("document public = %v, want %v", doc.Public, n.Public())
	}
	if (doc.Image != nil) != (n.Image != nil) {
		t.Errorf("document image present = %v, want %v", doc.Image != nil, n.Image != nil)
	}
	if (doc.RecycleBin != nil) != (n.RecycleBin != nil) {
		t.Errorf("document recycle_bin present = %v, want %v", doc.RecycleBin != nil, n.RecycleBin != nil)
	}
	// Every key is always there, so consumers need no existence checks.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatalf("decode document keys: %v", err)
	}
	for _, key := range []string{"schema_version", "event", "summary", "enrichment", "enrichment_error", "public", "console_url", "image", "recycle_bin", "truncated"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("document has no %q key", key)
		}
	}
}

// TestRenderProperties checks the channel rules on every golden case and
// on inputs built to break them.
func TestRenderProperties(t *testing.T) {
	longName := strings.Repeat("n", 128)
	manyTags := make([]Tag, 50)
	for i := range manyTags {
		// EC2's maxima, in a script of three bytes a character, with
		// characters JSON escapes twice: the message must still fit.
		manyTags[i] = Tag{Key: fmt.Sprintf("%03d", i) + strings.Repeat("鍵", 125), Value: strings.Repeat("<\"値>", 64)}
	}
	cases := renderCases()
	cases = append(cases,
		renderCase{name: "longest name", n: Notification{Change: change(StateDeregistered), Enrichment: Enriched, Image: &Image{Name: longName, Public: true}}},
		renderCase{name: "empty event", n: Notification{}},
		renderCase{name: "enriched without image", n: Notification{Change: change(StateAvailable), Enrichment: Enriched}},
		renderCase{name: "maximal tags", n: Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: &Image{Name: longName, Tags: manyTags}}},
		renderCase{name: "long event fields", n: Notification{Change: StateChange{
			EventID: strings.Repeat("e", 500), Account: strings.Repeat("1", 500), Region: strings.Repeat("r", 500),
			ImageID: strings.Repeat("ami-", 200), State: strings.Repeat("s", 500), ErrorMessage: strings.Repeat("<err>", 2000),
			RawTime: strings.Repeat("t", 500),
		}, Enrichment: Unavailable, EnrichmentError: strings.Repeat("x", 5000)}},
		renderCase{name: "recycle bin without times", n: Notification{Change: change(StateDeregistered), Enrichment: InRecycleBin, RecycleBin: &RecycleBin{}}},
	)
	r := newTestRenderer(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.Render(tc.n)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkMessage(t, r, tc.n, m)
		})
	}
}

// TestRenderKeepsName checks the name is shown whole when it fits, and
// shortened (never the id) when it does not.
func TestRenderKeepsName(t *testing.T) {
	tests := []struct {
		name      string
		imageName string
		public    bool
		want      string // in the subject
		wantSMS   string
	}{
		{name: "short name", imageName: "base", want: "AMI available: base (ami-0a1b2c3d4e5f67890, eu-west-1)", wantSMS: "AMI available: base (ami-0a1b2c3d4e5f67890, eu-west-1)"},
		{
			name:      "long name shortened",
			imageName: strings.Repeat("abcdefghij", 12),
			// 99 characters: the name keeps what the rest leaves, ellipsis included.
			want: "AMI available: " + strings.Repeat("abcdefghij", 12)[:46] + "... (ami-0a1b2c3d4e5f67890, eu-west-1)",
			// 128 characters.
			wantSMS: "AMI available: " + strings.Repeat("abcdefghij", 12)[:75] + "... (ami-0a1b2c3d4e5f67890, eu-west-1)",
		},
		{
			name:      "public long name",
			imageName: strings.Repeat("x", 128),
			public:    true,
			want:      "[PUBLIC] AMI available: " + strings.Repeat("x", 37) + "... (ami-0a1b2c3d4e5f67890, eu-west-1)",
			wantSMS:   "PUBLIC IMAGE! AMI available: " + strings.Repeat("x", 61) + "... (ami-0a1b2c3d4e5f67890, eu-west-1)",
		},
		{name: "name in another script", imageName: "ビルド 2026", want: "AMI available: ? 2026 (ami-0a1b2c3d4e5f67890, eu-west-1)", wantSMS: "AMI available: ? 2026 (ami-0a1b2c3d4e5f67890, eu-west-1)"},
		{name: "accents and brackets", imageName: "café [prod] {v2}", want: "AMI available: cafe [prod] {v2} (ami-0a1b2c3d4e5f67890, eu-west-1)", wantSMS: "AMI available: cafe (prod) (v2) (ami-0a1b2c3d4e5f67890, eu-west-1)"},
	}
	r := newTestRenderer(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: &Image{Name: tc.imageName, Public: tc.public}}
			m, err := r.Render(n)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if m.Subject != tc.want {
				t.Errorf("subject: got %q, want %q", m.Subject, tc.want)
			}
			if m.SMS != tc.wantSMS {
				t.Errorf("SMS: got %q, want %q", m.SMS, tc.wantSMS)
			}
			checkMessage(t, r, n, m)
		})
	}
}

// TestRenderShrinksLargeMessages checks that an image whose tags would
// make the message too large for SNS is still rendered, with fewer
// details, and says so.
func TestRenderShrinksLargeMessages(t *testing.T) {
	tags := make([]Tag, 60)
	for i := range tags {
		// EC2's longest tags, in a script of 3 bytes a character: the
		// document, sent six times, would pass SNS's 256 KiB.
		tags[i] = Tag{Key: fmt.Sprintf("k%02d", i) + strings.Repeat("界", 125), Value: strings.Repeat("界", 256)}
	}
	n := Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: &Image{Name: "big", Tags: tags}}
	r := newTestRenderer(t)
	m, err := r.Render(n)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	checkMessage(t, r, n, m)
	var doc Document
	if err := json.Unmarshal([]byte(m.Document), &doc); err != nil {
		t.Fatalf("decode document: %v", err)
	}
	if !doc.Truncated {
		t.Errorf("document truncated = false, want true")
	}
	if got := len(doc.Image.Tags); got == 0 || got >= len(tags) {
		t.Errorf("document has %d tags, want some but fewer than %d", got, len(tags))
	}
	if !strings.Contains(m.Email, "more, left out") {
		t.Errorf("email does not say that tags were left out:\n%s", m.Email)
	}
}

func TestRenderTime(t *testing.T) {
	tests := []struct {
		name    string
		time    time.Time
		raw     string
		want    string // in the email
		wantDoc string // document event.time
	}{
		{name: "RFC 3339", time: eventTime, raw: "2026-03-14T09:26:53Z", want: "at 2026-03-14 09:26:53 UTC", wantDoc: "2026-03-14T09:26:53Z"},
		{name: "other zone shown in UTC", time: eventTime.In(time.FixedZone("CET", 3600)), raw: "2026-03-14T10:26:53+01:00", want: "at 2026-03-14 09:26:53 UTC", wantDoc: "2026-03-14T10:26:53+01:00"},
		{name: "placeholder", raw: "yyyy-mm-ddThh:mm:ssZ", want: "at yyyy-mm-ddThh:mm:ssZ", wantDoc: "yyyy-mm-ddThh:mm:ssZ"},
		{name: "missing", want: "at unknown time", wantDoc: ""},
	}
	r := newTestRenderer(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := change(StateAvailable)
			c.Time, c.RawTime = tc.time, tc.raw
			m, err := r.Render(Notification{Change: c, Enrichment: NotFound})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !strings.Contains(m.Email, tc.want) {
				t.Errorf("email does not contain %q:\n%s", tc.want, m.Email)
			}
			var doc Document
			if err := json.Unmarshal([]byte(m.Document), &doc); err != nil {
				t.Fatalf("decode document: %v", err)
			}
			if doc.Event.Time != tc.wantDoc {
				t.Errorf("document event.time: got %q, want %q", doc.Event.Time, tc.wantDoc)
			}
		})
	}
}

func TestConsoleURL(t *testing.T) {
	tests := []struct {
		name, region, imageID, want string
	}{
		{name: "commercial", region: "eu-west-1", imageID: "ami-0abc", want: "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0abc"},
		{name: "China", region: "cn-northwest-1", imageID: "ami-0abc", want: "https://console.amazonaws.cn/ec2/home?region=cn-northwest-1#ImageDetails:imageId=ami-0abc"},
		{name: "GovCloud", region: "us-gov-east-1", imageID: "ami-0abc", want: "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-east-1#ImageDetails:imageId=ami-0abc"},
		{name: "ISO partition", region: "us-iso-east-1", imageID: "ami-0abc", want: ""},
		{name: "ISOB partition", region: "us-isob-east-1", imageID: "ami-0abc", want: ""},
		{name: "not a region", region: "evil.example.com/x", imageID: "ami-0abc", want: ""},
		{name: "uppercase region", region: "EU-WEST-1", imageID: "ami-0abc", want: ""},
		{name: "no region", region: "", imageID: "ami-0abc", want: ""},
		{name: "no image", region: "eu-west-1", imageID: "", want: ""},
		{name: "id escaped", region: "eu-west-1", imageID: "ami-1#x&y z", want: "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-1%23x%26y+z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := consoleURL(tc.region, tc.imageID); got != tc.want {
				t.Errorf("consoleURL(%q, %q): got %q, want %q", tc.region, tc.imageID, got, tc.want)
			}
		})
	}
}

func TestNewRendererTemplates(t *testing.T) {
	r := newTestRenderer(t)
	for _, key := range stateKeys {
		if r.states[key] == nil {
			t.Errorf("no templates for %q", key)
		}
	}
	// Each state with its own wording gets it, not the generic one.
	for _, state := range []string{StateAvailable, StateFailed, StateDeregistered, StateDisabled} {
		m, err := r.Render(Notification{Change: change(state), Enrichment: NotFound})
		if err != nil {
			t.Fatalf("Render(%s): %v", state, err)
		}
		if strings.Contains(m.Subject, "changed state") {
			t.Errorf("state %s got the generic subject %q", state, m.Subject)
		}
	}
}
