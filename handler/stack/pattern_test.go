package stack

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// busEvent is what is put on the bus: the parts of an EventBridge event a
// rule's pattern can look at.
type busEvent struct {
	name       string
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
	Resources  []string        `json:"resources"`
}

// wantedBy says whether a rule for the AMI states in states should pass the
// event on, from the event's content alone: the documentation's pattern.
// As in EventBridge, a list in the event matches when one of its items
// does (the function then rejects such an event).
func (e busEvent) wantedBy(states []string) bool {
	if e.Source != "aws.ec2" || e.DetailType != "EC2 AMI State Change" {
		return false
	}
	var detail struct {
		State any `json:"State"`
	}
	if err := json.Unmarshal(e.Detail, &detail); err != nil {
		return false
	}
	values, ok := detail.State.([]any)
	if !ok {
		values = []any{detail.State}
	}
	for _, v := range values {
		if s, ok := v.(string); ok && slices.Contains(states, s) {
			return true
		}
	}
	return false
}

// sampleEvents reads every event in events/ (the files users pass to
// sam local invoke).
func sampleEvents(t *testing.T) []busEvent {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "events", "*.json"))
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("no events/*.json")
	}
	var events []busEvent
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		e := busEvent{name: filepath.Base(f)}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("decode %s: %v", f, err)
		}
		events = append(events, e)
	}
	return events
}

// otherEvents are events the default bus also carries, most of which the
// rule must not pass on, plus one event of each AMI state.
func otherEvents() []busEvent {
	ami := func(name, state string) busEvent {
		return busEvent{
			name: name, Source: "aws.ec2", DetailType: "EC2 AMI State Change",
			Detail:    json.RawMessage(`{"RequestId":"r-1","ImageId":"ami-0123456789abcdef0","State":"` + state + `","ErrorMessage":""}`),
			Resources: []string{"arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0"},
		}
	}
	events := []busEvent{
		ami("state available", "available"),
		ami("state failed", "failed"),
		ami("state deregistered", "deregistered"),
		ami("state disabled", "disabled"),
		ami("state pending (not an event state)", "pending"),
		ami("state in capitals", "AVAILABLE"),
		{
			name: "instance state change", Source: "aws.ec2", DetailType: "EC2 Instance State-change Notification",
			Detail: json.RawMessage(`{"instance-id":"i-0123456789abcdef0","state":"running"}`),
		},
		{
			name: "snapshot notification", Source: "aws.ec2", DetailType: "EBS Snapshot Notification",
			Detail: json.RawMessage(`{"event":"createSnapshot","result":"succeeded","State":"available"}`),
		},
		{
			name: "same detail-type, another source", Source: "custom.ami-builder", DetailType: "EC2 AMI State Change",
			Detail: json.RawMessage(`{"ImageId":"ami-0123456789abcdef0","State":"available"}`),
		},
		{
			name: "state as a list", Source: "aws.ec2", DetailType: "EC2 AMI State Change",
			Detail: json.RawMessage(`{"ImageId":"ami-0123456789abcdef0","State":["failed"]}`),
		},
		{
			name: "state a number", Source: "aws.ec2", DetailType: "EC2 AMI State Change",
			Detail: json.RawMessage(`{"ImageId":"ami-0123456789abcdef0","State":1}`),
		},
		{
			name: "no state", Source: "aws.ec2", DetailType: "EC2 AMI State Change",
			Detail: json.RawMessage(`{"ImageId":"ami-0123456789abcdef0"}`),
		},
	}
	return events
}

// TestEventPattern puts events on moto's default bus under the rule the
// transformed template creates (pattern included, with States resolved)
// and checks that exactly the wanted ones reach an SQS target.
func TestEventPattern(t *testing.T) {
	allStates := []string{"available", "failed", "deregistered", "disabled"}
	tests := []struct {
		name   string
		params map[string]string
		states []string // what the rule should pass on
	}{
		{name: "default: all four states", states: allStates},
		{name: "failed and disabled", params: map[string]string{"States": "failed,disabled"}, states: []string{"failed", "disabled"}},
		{name: "available only", params: map[string]string{"States": "available"}, states: []string{"available"}},
	}

	events := append(sampleEvents(t), otherEvents()...)
	// Transform first: it needs no moto, and fails faster.
	patterns := make([]string, len(tests))
	for i, tt := range tests {
		s := transform(t, tt.params)
		pattern, ok := s.Resources["AmiNotifyFunctionAmiStateChange"].Properties["EventPattern"]
		if !ok {
			t.Fatalf("%s: the rule has no EventPattern", tt.name)
		}
		b, err := json.Marshal(pattern)
		if err != nil {
			t.Fatalf("%s: marshal pattern: %v", tt.name, err)
		}
		patterns[i] = string(b)
	}

	moto := startMoto(t)
	cfg := moto.Config(testRegion)
	bus := eventbridge.NewFromConfig(cfg)
	queues := sqs.NewFromConfig(cfg)

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := moto.Reset(ctx); err != nil {
				t.Fatalf("reset moto: %v", err)
			}
			queueURL := ruleToQueue(ctx, t, bus, queues, patterns[i])

			var want []string
			names := map[string]string{} // event id -> event name
			for start := 0; start < len(events); start += 10 {
				batch := events[start:min(start+10, len(events))]
				ids := putEvents(ctx, t, bus, batch)
				for j, e := range batch {
					names[ids[j]] = e.name
					if e.wantedBy(tt.states) {
						want = append(want, e.name)
					}
				}
			}
			if len(want) == 0 || len(want) == len(events) {
				t.Fatalf("the events do not test the pattern: %d of %d wanted", len(want), len(events))
			}

			var got []string
			for _, id := range drainQueue(ctx, t, queues, queueURL) {
				name, ok := names[id]
				if !ok {
					t.Errorf("the queue got an event that was not put: %s", id)
					continue
				}
				got = append(got, name)
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("pattern %s passed on\n  %s\nwant\n  %s",
					patterns[i], strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// ruleToQueue creates the rule with the pattern on the default bus and an
// SQS queue as its target, and returns the queue's URL.
func ruleToQueue(ctx context.Context, t *testing.T, bus *eventbridge.Client, queues *sqs.Client, pattern string) string {
	t.Helper()
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ami-notify-pattern")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	attrs, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("queue ARN: %v", err)
	}
	rule := aws.String("ami-notify-pattern")
	if _, err := bus.PutRule(ctx, &eventbridge.PutRuleInput{Name: rule, EventPattern: aws.String(pattern)}); err != nil {
		t.Fatalf("put rule with pattern %s: %v", pattern, err)
	}
	out, err := bus.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule:    rule,
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}},
	})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put target: %v %+v", err, out)
	}
	return *q.QueueUrl
}

// putEvents puts up to 10 events on the default bus and returns their ids.
func putEvents(ctx context.Context, t *testing.T, bus *eventbridge.Client, events []busEvent) []string {
	t.Helper()
	entries := make([]ebtypes.PutEventsRequestEntry, len(events))
	for i, e := range events {
		detail := string(e.Detail)
		if detail == "" || detail == "null" {
			detail = "{}"
		}
		// No Time: the sample files may hold the documentation's placeholders.
		entries[i] = ebtypes.PutEventsRequestEntry{
			Source:     aws.String(e.Source),
			DetailType: aws.String(e.DetailType),
			Detail:     aws.String(detail),
			Resources:  e.Resources,
		}
	}
	out, err := bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		t.Fatalf("put events: %v", err)
	}
	if out.FailedEntryCount != 0 || len(out.Entries) != len(events) {
		t.Fatalf("put events: %d failed of %d: %+v", out.FailedEntryCount, len(events), out.Entries)
	}
	ids := make([]string, len(events))
	for i, entry := range out.Entries {
		ids[i] = aws.ToString(entry.EventId)
	}
	return ids
}

// drainQueue receives every message in the queue and returns the event id
// in each. moto delivers while PutEvents runs, so an empty receive means
// the queue holds nothing more.
func drainQueue(ctx context.Context, t *testing.T, queues *sqs.Client, url string) []string {
	t.Helper()
	var ids []string
	for {
		out, err := queues.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(url),
			MaxNumberOfMessages: 10,
			VisibilityTimeout:   300,
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return ids
		}
		for _, m := range out.Messages {
			var event struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &event); err != nil || event.ID == "" {
				t.Fatalf("message %q is not an event: %v", aws.ToString(m.Body), err)
			}
			ids = append(ids, event.ID)
		}
	}
}
