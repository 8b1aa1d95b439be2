package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
	"github.com/ami-notify/ami-notify/notify"
)

// TestSampleEvents sends every file in events/ through one runtime and
// checks the response, what SNS recorded and what the SQS subscribers got.
func TestSampleEvents(t *testing.T) {
	w := newWorld(t)
	rt := w.startRuntime(t, runtimeOptions{})
	for _, e := range w.events {
		t.Run(e.Name, func(t *testing.T) {
			before := len(w.sent(t, w.subs.TopicARN))
			inv := invoke(t, rt, e.Payload)
			if e.WantRejected() {
				if inv.ErrorType != "RejectedError" {
					t.Fatalf("errorType: got %q, want %q (body %s)", inv.ErrorType, "RejectedError", inv.Body)
				}
				w.assertNothingPublished(t, before)
				return
			}
			r := decodeResult(t, inv)
			want := w.wantEnrichment(e)
			w.checkPublished(t, e, r, before, want)
		})
	}
}

// wantEnrichment is what the function should find out about e's image in
// moto: the seeded images are everywhere, except those PrepareImages
// deregistered (moto has no Recycle Bin, so those are not found).
func (w *world) wantEnrichment(e localaws.Event) notify.Enrichment {
	if _, ok := w.seed[e.Detail.ImageID]; !ok || e.Detail.State == notify.StateDeregistered {
		return notify.NotFound
	}
	return notify.Enriched
}

// assertNothingPublished fails if the topic got a message after the first
// `before`, or a queue has one waiting.
func (w *world) assertNothingPublished(t *testing.T, before int) {
	t.Helper()
	if got := len(w.sent(t, w.subs.TopicARN)); got != before {
		t.Errorf("topic got %d new messages, want none", got-before)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{w.subs.QueueURL, w.subs.RawQueueURL} {
		bodies, err := w.subs.Received(ctx, q, 10)
		if err != nil {
			t.Fatalf("read queue: %v", err)
		}
		if len(bodies) != 0 {
			t.Errorf("queue %s got %d messages, want none: %q", q, len(bodies), bodies)
		}
	}
}

// checkPublished checks one published event end to end: the response, the
// topic's record (subject and each protocol key), and both SQS subscribers'
// messages, field by field against the event and the seeded image.
func (w *world) checkPublished(t *testing.T, e localaws.Event, r result, before int, want notify.Enrichment) notify.Document {
	t.Helper()
	if r.Outcome != "published" {
		t.Fatalf("outcome: got %q, want published (result %+v)", r.Outcome, r)
	}
	for _, c := range []struct{ field, got, want string }{
		{"event_id", r.EventID, e.ID},
		{"image_id", r.ImageID, e.Detail.ImageID},
		{"state", r.State, e.Detail.State},
		{"region", r.Region, e.Region},
		{"enrichment", r.Enrichment, string(want)},
	} {
		if c.got != c.want {
			t.Errorf("result %s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	if len(r.Deliveries) != 1 || r.Deliveries[0].TopicARN != w.subs.TopicARN {
		t.Fatalf("deliveries: got %+v, want one to %s", r.Deliveries, w.subs.TopicARN)
	}

	sent := w.sent(t, w.subs.TopicARN)
	if len(sent) != before+1 {
		t.Fatalf("topic has %d new messages, want 1", len(sent)-before)
	}
	msg := sent[before]
	if msg.MessageID != r.Deliveries[0].MessageID {
		t.Errorf("message id: topic recorded %q, result says %q", msg.MessageID, r.Deliveries[0].MessageID)
	}
	img, enriched := w.seed[e.Detail.ImageID]
	enriched = enriched && want == notify.Enriched
	checkSubject(t, msg.Subject, e, img.Name, enriched)
	structure, err := msg.Structure()
	if err != nil {
		t.Fatalf("%v", err)
	}
	checkChannels(t, structure, e, img, enriched)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, err := w.subs.ReceiveOne(ctx, w.subs.QueueURL, 5*time.Second)
	if err != nil {
		t.Fatalf("SQS subscriber: %v", err)
	}
	env, err := localaws.DecodeEnvelope(body)
	if err != nil {
		t.Fatalf("%v", err)
	}
	for _, c := range []struct{ field, got, want string }{
		{"Type", env.Type, "Notification"},
		{"TopicArn", env.TopicARN, w.subs.TopicARN},
		{"MessageId", env.MessageID, msg.MessageID},
		{"Subject", env.Subject, msg.Subject},
		{"Message", env.Message, structure["sqs"]},
	} {
		if c.got != c.want {
			t.Errorf("SQS envelope %s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	raw, err := w.subs.ReceiveOne(ctx, w.subs.RawQueueURL, 5*time.Second)
	if err != nil {
		t.Fatalf("raw SQS subscriber: %v", err)
	}
	if raw != env.Message {
		t.Errorf("raw delivery differs from the envelope's Message:\nraw:      %s\nenvelope: %s", raw, env.Message)
	}
	var doc notify.Document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("SQS document: %v\n%s", err, raw)
	}
	checkDocument(t, doc, e, img, want)
	return doc
}

func checkSubject(t *testing.T, subject string, e localaws.Event, name string, enriched bool) {
	t.Helper()
	if n := len(subject); n < 1 || n > 99 {
		t.Errorf("subject is %d bytes, want 1..99: %q", n, subject)
	}
	for _, r := range subject {
		if r < 0x20 || r > 0x7e {
			t.Errorf("subject has %q, want printable ASCII: %q", r, subject)
			break
		}
	}
	parts := []string{e.Detail.State, e.Detail.ImageID, e.Region}
	// A name is included when it fits; the seeded names all do.
	if enriched {
		parts = append(parts, name)
	}
	for _, p := range parts {
		if !strings.Contains(subject, p) {
			t.Errorf("subject %q lacks %q", subject, p)
		}
	}
}

// checkChannels checks each protocol key of the published structure.
func checkChannels(t *testing.T, s map[string]string, e localaws.Event, img localaws.SeedImage, enriched bool) {
	t.Helper()
	for _, k := range []string{"default", "email", "sms", "APNS", "APNS_SANDBOX", "GCM", "sqs", "email-json", "lambda", "http", "https", "firehose"} {
		if s[k] == "" {
			t.Errorf("structure key %q missing or empty", k)
		}
	}
	for _, k := range []string{"email-json", "lambda", "http", "https", "firehose"} {
		if s[k] != s["sqs"] {
			t.Errorf("structure key %q differs from sqs", k)
		}
	}
	if s["APNS_SANDBOX"] != s["APNS"] {
		t.Errorf("APNS_SANDBOX differs from APNS")
	}

	// Email: the facts a reader needs, the image's details and tags.
	email := s["email"]
	wantEmail := []string{e.Detail.ImageID, e.Region, e.ID}
	if enriched {
		wantEmail = append(wantEmail, img.Name, img.Description, img.Architecture)
		for k, v := range img.Tags {
			wantEmail = append(wantEmail, k, v)
		}
	}
	if e.Detail.ErrorMessage != "" {
		wantEmail = append(wantEmail, e.Detail.ErrorMessage)
	}
	for _, want := range wantEmail {
		if !strings.Contains(email, want) {
			t.Errorf("email body lacks %q:\n%s", want, email)
		}
	}

	// SMS: one segment naming the image.
	sms := s["sms"]
	if n := utf8.RuneCountInString(sms); n > 160 {
		t.Errorf("SMS is %d characters, want at most 160: %q", n, sms)
	}
	if !strings.Contains(sms, e.Detail.ImageID) {
		t.Errorf("SMS %q lacks the image id", sms)
	}

	// Push: valid JSON within the 4 KB limits, naming the image.
	var apns struct {
		APS struct {
			Alert struct {
				Title string `json:"title"`
				Body  string `json:"body"`
			} `json:"alert"`
		} `json:"aps"`
	}
	if err := json.Unmarshal([]byte(s["APNS"]), &apns); err != nil {
		t.Errorf("APNS is not JSON: %v: %s", err, s["APNS"])
	}
	if apns.APS.Alert.Title == "" || !strings.Contains(apns.APS.Alert.Body, e.Detail.ImageID) {
		t.Errorf("APNS alert: got %+v, want a title and a body naming %s", apns.APS.Alert, e.Detail.ImageID)
	}
	var gcm struct {
		FCM struct {
			Message struct {
				Notification struct {
					Title string `json:"title"`
					Body  string `json:"body"`
				} `json:"notification"`
				Data map[string]string `json:"data"`
			} `json:"message"`
		} `json:"fcmV1Message"`
	}
	if err := json.Unmarshal([]byte(s["GCM"]), &gcm); err != nil {
		t.Errorf("GCM is not JSON: %v: %s", err, s["GCM"])
	}
	if gcm.FCM.Message.Notification.Title == "" {
		t.Errorf("GCM notification has no title: %s", s["GCM"])
	}
	for k, want := range map[string]string{"image_id": e.Detail.ImageID, "state": e.Detail.State, "region": e.Region} {
		if got := gcm.FCM.Message.Data[k]; got != want {
			t.Errorf("GCM data %s: got %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"APNS", "GCM"} {
		if n := len(s[k]); n > 4096 {
			t.Errorf("%s payload is %d bytes, want at most 4096", k, n)
		}
	}

	// A public image is flagged in every human channel.
	if enriched && img.Public {
		for _, k := range []string{"default", "email", "sms", "APNS", "GCM"} {
			if !strings.Contains(strings.ToLower(s[k]), "public") {
				t.Errorf("%s does not warn that the image is public: %s", k, s[k])
			}
		}
	}
}

// checkDocument compares the machine-readable document with the event and
// the seeded image, field by field.
func checkDocument(t *testing.T, doc notify.Document, e localaws.Event, img localaws.SeedImage, want notify.Enrichment) {
	t.Helper()
	if doc.SchemaVersion != notify.DocumentSchemaVersion {
		t.Errorf("schema_version: got %d, want %d", doc.SchemaVersion, notify.DocumentSchemaVersion)
	}
	type field struct {
		name      string
		got, want any
	}
	fields := []field{
		{"event.id", doc.Event.ID, e.ID},
		{"event.time", doc.Event.Time, e.Time},
		{"event.account", doc.Event.Account, e.Account},
		{"event.region", doc.Event.Region, e.Region},
		{"event.image_id", doc.Event.ImageID, e.Detail.ImageID},
		{"event.state", doc.Event.State, e.Detail.State},
		{"event.request_id", doc.Event.RequestID, e.Detail.RequestID},
		{"event.error_message", doc.Event.ErrorMessage, e.Detail.ErrorMessage},
		{"enrichment", doc.Enrichment, string(want)},
	}
	switch want {
	case notify.Enriched:
		if doc.Image == nil {
			t.Fatalf("document has no image, want %s's details", img.ImageID)
		}
		im := doc.Image
		fields = append(fields,
			field{"public", doc.Public, img.Public},
			field{"image.name", im.Name, img.Name},
			field{"image.description", im.Description, img.Description},
			field{"image.owner_id", im.OwnerID, img.OwnerID},
			field{"image.state", im.State, img.State},
			field{"image.architecture", im.Architecture, img.Architecture},
			field{"image.platform", im.Platform, img.Platform},
			field{"image.virtualization_type", im.VirtualizationType, img.VirtualizationType},
			field{"image.root_device_type", im.RootDeviceType, img.RootDeviceType},
			field{"image.root_device_name", im.RootDeviceName, img.RootDeviceName},
			field{"image.boot_mode", im.BootMode, img.BootMode},
			field{"image.public", im.Public, img.Public},
			field{"image.tags", tagMap(im.Tags), img.Tags},
			// moto reports one made-up root volume per image.
			field{"image.block_devices", len(im.BlockDevices), 1},
		)
		if len(im.BlockDevices) == 1 {
			fields = append(fields, field{"image.block_devices[0].device_name", im.BlockDevices[0].DeviceName, img.RootDeviceName})
			if !strings.HasPrefix(im.BlockDevices[0].SnapshotID, "snap-") {
				t.Errorf("block device snapshot id: got %q, want snap-...", im.BlockDevices[0].SnapshotID)
			}
		}
		if doc.EnrichmentError != "" {
			t.Errorf("enrichment_error: got %q, want none", doc.EnrichmentError)
		}
	default:
		if doc.Image != nil {
			t.Errorf("document image: got %+v, want null for %s", doc.Image, want)
		}
		if doc.RecycleBin != nil {
			t.Errorf("document recycle_bin: got %+v, want null (moto has no Recycle Bin)", doc.RecycleBin)
		}
	}
	for _, f := range fields {
		if !equalJSON(f.got, f.want) {
			t.Errorf("document %s: got %v, want %v", f.name, f.got, f.want)
		}
	}
	if !strings.Contains(doc.ConsoleURL, e.Region) || !strings.Contains(doc.ConsoleURL, e.Detail.ImageID) {
		t.Errorf("console_url %q does not point at %s in %s", doc.ConsoleURL, e.Detail.ImageID, e.Region)
	}
}

func tagMap(tags notify.DocumentTags) map[string]string {
	m := make(map[string]string, len(tags))
	for _, tg := range tags {
		m[tg.Key] = tg.Value
	}
	return m
}

// equalJSON compares two values by their JSON encoding, which treats a nil
// and an empty map alike and orders map keys.
func equalJSON(a, b any) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	if erra != nil || errb != nil {
		return false
	}
	if string(ja) == "null" {
		ja = []byte("{}")
	}
	if string(jb) == "null" {
		jb = []byte("{}")
	}
	return string(ja) == string(jb)
}
