package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
	"github.com/ami-notify/ami-notify/notify"
)

// withImage returns e's payload with another image id and region (and a new
// event id, so each event is distinct).
func withImage(t *testing.T, e localaws.Event, eventID, imageID, region string) localaws.Event {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		t.Fatalf("decode %s: %v", e.Name, err)
	}
	detail, ok := m["detail"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no detail object", e.Name)
	}
	m["id"], m["region"], detail["ImageId"] = eventID, region, imageID
	m["resources"] = []string{"arn:aws:ec2:" + region + "::image/" + imageID}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("encode event: %v", err)
	}
	out := e
	out.Payload, out.ID, out.Region, out.Detail.ImageID = b, eventID, region, imageID
	return out
}

// TestImageOnlyInAnotherRegion: a copy exists in its destination region
// only; the function must look in the event's region and find it there, and
// must not find it when the event names another region.
func TestImageOnlyInAnotherRegion(t *testing.T) {
	w := newWorld(t)
	rt := w.startRuntime(t, runtimeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src := w.event(t, "available")
	const region = "ap-southeast-2"
	tags := map[string]string{"Name": "sydney-copy", "Team": "apac", "Environment": "production"}
	copyID, err := localaws.CopyImage(ctx, w.moto, src.Detail.ImageID, src.Region, region, tags)
	if err != nil {
		t.Fatalf("%v", err)
	}
	seeded := w.seed[src.Detail.ImageID]
	// What moto's CopyImage keeps of the source, with the copy's own tags.
	w.seed[copyID] = localaws.SeedImage{
		ImageID: copyID, Name: "copy-of-" + src.Detail.ImageID, Description: seeded.Description,
		OwnerID: localaws.AccountID, State: "available", Architecture: seeded.Architecture,
		VirtualizationType: seeded.VirtualizationType, RootDeviceType: "standard",
		RootDeviceName: "/dev/sda1", BootMode: "uefi", Tags: tags,
	}

	tests := []struct {
		name   string
		region string
		want   notify.Enrichment
	}{
		{name: "event from the copy's region", region: region, want: notify.Enriched},
		{name: "event from the source region", region: src.Region, want: notify.NotFound},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := withImage(t, src, fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1), copyID, tc.region)
			before := len(w.sent(t, w.subs.TopicARN))
			r := decodeResult(t, invoke(t, rt, e.Payload))
			w.checkPublished(t, e, r, before, tc.want)
		})
	}
}

// TestDeregisteredImage: DescribeImages returns an empty list for an image
// deregistered moments ago; the notification still goes out, saying the
// details are gone.
func TestDeregisteredImage(t *testing.T) {
	w := newWorld(t)
	rt := w.startRuntime(t, runtimeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src := w.event(t, "available")
	id, err := localaws.CopyImage(ctx, w.moto, src.Detail.ImageID, src.Region, src.Region, nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	e := withImage(t, w.event(t, "deregistered"), "00000000-0000-4000-8000-0000000000d1", id, src.Region)
	if err := localaws.PrepareImages(ctx, w.moto, []localaws.Event{e}); err != nil {
		t.Fatalf("deregister: %v", err)
	}
	before := len(w.sent(t, w.subs.TopicARN))
	r := decodeResult(t, invoke(t, rt, e.Payload))
	doc := w.checkPublished(t, e, r, before, notify.NotFound)
	if doc.Public {
		t.Errorf("document says public for an image nothing is known about")
	}
}

// TestRejectedEventsPublishNothing checks the two events that must be
// rejected on their own runtime, so no other event's messages can hide a
// stray publish.
func TestRejectedEventsPublishNothing(t *testing.T) {
	w := newWorld(t)
	rt := w.startRuntime(t, runtimeOptions{})
	n := 0
	for _, e := range w.events {
		if !e.WantRejected() {
			continue
		}
		n++
		t.Run(e.Name, func(t *testing.T) {
			inv := invoke(t, rt, e.Payload)
			if inv.ErrorType != "RejectedError" {
				t.Fatalf("errorType: got %q, want RejectedError (body %s)", inv.ErrorType, inv.Body)
			}
			if !strings.Contains(inv.ErrorMessage, e.ID) {
				t.Errorf("error message %q does not name event %s", inv.ErrorMessage, e.ID)
			}
			w.assertNothingPublished(t, 0)
		})
	}
	if n != 2 {
		t.Errorf("events/ has %d events to reject, want 2", n)
	}
}

// TestTopicDoesNotExist: a publish that fails must fail the invocation, so
// Lambda retries the event and finally hands it to the failure destination.
func TestTopicDoesNotExist(t *testing.T) {
	w := newWorld(t)
	missing := "arn:aws:sns:us-east-1:" + localaws.AccountID + ":no-such-topic"
	rt := w.startRuntime(t, runtimeOptions{topicARN: missing})
	inv := invoke(t, rt, w.event(t, "available").Payload)
	if inv.ErrorType != "PublishError" {
		t.Fatalf("errorType: got %q, want PublishError (body %s)", inv.ErrorType, inv.Body)
	}
	// The message must let an operator see which topic failed and why.
	for _, want := range []string{missing, "NotFound"} {
		if !strings.Contains(inv.ErrorMessage, want) {
			t.Errorf("error message %q lacks %q", inv.ErrorMessage, want)
		}
	}
	w.assertNothingPublished(t, 0)
}

// TestRoutingAndSkipRules: failed and disabled events also go to the
// on-call topic; an image tagged by AWS Backup is skipped by SKIP_TAGS and
// nothing is published for it.
func TestRoutingAndSkipRules(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	onCall, err := localaws.Subscribe(ctx, w.moto.Config(localaws.DefaultRegion), "ami-notify-oncall")
	if err != nil {
		t.Fatalf("on-call topic: %v", err)
	}
	rt := w.startRuntime(t, runtimeOptions{extraEnv: []string{
		"ONCALL_TOPIC_ARN=" + onCall.TopicARN,
		"ONCALL_STATES=failed,disabled",
		"SKIP_TAGS=aws:backup:source-resource",
	}})
	const backupImage = "ami-0bac0bac0bac0bac0"
	if _, ok := w.seed[backupImage]; !ok {
		t.Fatalf("seed lacks the AWS Backup image %s", backupImage)
	}

	tests := []struct {
		name        string
		event       localaws.Event
		wantOutcome string
		wantTopics  []string
	}{
		{name: "failed goes to both topics", event: w.event(t, "failed"), wantOutcome: "published",
			wantTopics: []string{w.subs.TopicARN, onCall.TopicARN}},
		{name: "available goes to the main topic only", event: w.event(t, "available"), wantOutcome: "published",
			wantTopics: []string{w.subs.TopicARN}},
		{name: "AWS Backup image is skipped", wantOutcome: "skipped",
			event: withImage(t, w.event(t, "available"), "00000000-0000-4000-8000-0000000000b1", backupImage, "us-east-1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]int{}
			for _, topic := range []string{w.subs.TopicARN, onCall.TopicARN} {
				before[topic] = len(w.sent(t, topic))
			}
			r := decodeResult(t, invoke(t, rt, tc.event.Payload))
			if r.Outcome != tc.wantOutcome {
				t.Fatalf("outcome: got %q, want %q (%+v)", r.Outcome, tc.wantOutcome, r)
			}
			if tc.wantOutcome == "skipped" && r.SkipRule == "" {
				t.Errorf("skipped without naming the rule")
			}
			var got []string
			for _, d := range r.Deliveries {
				got = append(got, d.TopicARN)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantTopics) {
				t.Errorf("deliveries: got %v, want %v", got, tc.wantTopics)
			}
			for topic, n := range before {
				want := n
				for _, wt := range tc.wantTopics {
					if wt == topic {
						want++
					}
				}
				if now := len(w.sent(t, topic)); now != want {
					t.Errorf("%s recorded %d new messages, want %d", topic, now-n, want-n)
				}
			}
		})
	}
}
