package ami

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ami-notify/ami-notify/notify"
)

const onCallTopic = "arn:aws:sns:us-east-1:123456789012:oncall"

// recorder is a fake SNS publisher that fails for the topics in failFor.
type recorder struct {
	mu      sync.Mutex
	topics  []string
	inputs  []*sns.PublishInput
	failFor map[string]error
}

func (r *recorder) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	topic := aws.ToString(in.TopicArn)
	if err := r.failFor[topic]; err != nil {
		return nil, err
	}
	r.topics = append(r.topics, topic)
	r.inputs = append(r.inputs, in)
	return &sns.PublishOutput{MessageId: aws.String("id-" + topic[strings.LastIndex(topic, ":")+1:])}, nil
}

// stubEnricher returns a fixed enrichment for every change, and counts the
// calls in *calls when set.
type stubEnricher struct {
	image *notify.Image
	err   error
	calls *int
}

func (s stubEnricher) Enrich(_ context.Context, c notify.StateChange) (notify.Notification, error) {
	if s.calls != nil {
		*s.calls++
	}
	n := notify.Notification{Change: c, Enrichment: notify.Enriched, Image: s.image}
	if s.err != nil {
		n = notify.Notification{Change: c, Enrichment: notify.Unavailable, EnrichmentError: "RequestLimitExceeded"}
	}
	return n, s.err
}

// logLines parses the JSON log lines written to buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// summary returns the one "event" line, failing unless there is exactly one.
func summary(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range logLines(t, buf) {
		if l["msg"] == "event" {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("got %d summary lines, want 1: %s", len(found), buf)
	}
	return found[0]
}

func newTestHandler(t *testing.T, cfg Config, e Enricher, p notify.Publisher) (*Handler, *bytes.Buffer) {
	t.Helper()
	r, err := notify.NewRenderer()
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.PublishTimeout == 0 {
		cfg.PublishTimeout = time.Second
	}
	return NewHandler(cfg, e, r, p, log), &buf
}

func baseConfig() Config {
	return Config{TopicARN: topic, OnCallTopicARN: onCallTopic, OnCallStates: []string{"failed", "disabled"}}
}

func payload(state string) json.RawMessage {
	return event(nil, `{"RequestId":"r","ImageId":"ami-0a1b2c3d4e5f60718","State":"`+state+`","ErrorMessage":""}`)
}

func TestHandleRouting(t *testing.T) {
	tests := []struct {
		state      string
		wantTopics []string
	}{
		{"available", []string{topic}},
		{"failed", []string{topic, onCallTopic}},
		{"disabled", []string{topic, onCallTopic}},
		{"deregistered", []string{topic}},
		{"pending", []string{topic}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			rec := &recorder{}
			h, buf := newTestHandler(t, baseConfig(), stubEnricher{image: &notify.Image{Name: "base"}}, rec)
			res, err := h.Handle(context.Background(), payload(tt.state))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if strings.Join(rec.topics, " ") != strings.Join(tt.wantTopics, " ") {
				t.Errorf("got topics %v, want %v", rec.topics, tt.wantTopics)
			}
			if res.Outcome != OutcomePublished || len(res.Deliveries) != len(tt.wantTopics) || res.State != tt.state {
				t.Errorf("got result %+v, want published to %d topics", res, len(tt.wantTopics))
			}
			line := summary(t, buf)
			for k, want := range map[string]string{"outcome": "published", "state": tt.state, "image_id": "ami-0a1b2c3d4e5f60718", "region": "us-east-1", "event_id": "7c5e2a91-3f0b-4d8e-9a61-2b4f8c0d1e37", "enrichment": "enriched"} {
				if line[k] != want {
					t.Errorf("log %s: got %v, want %q", k, line[k], want)
				}
			}
			if line["level"] != "INFO" {
				t.Errorf("got level %v, want INFO", line["level"])
			}
			if _, ok := line["message"]; ok {
				t.Errorf("summary line carries the full message at INFO")
			}
		})
	}
}

func TestHandleRejected(t *testing.T) {
	rec := &recorder{}
	h, buf := newTestHandler(t, baseConfig(), stubEnricher{}, rec)
	_, err := h.Handle(context.Background(), event(map[string]string{"id": `"ev-bad"`}, `{"State":"available"}`))
	var rej *RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("got %v, want *RejectedError", err)
	}
	if len(rec.topics) != 0 {
		t.Errorf("published %v for a rejected event", rec.topics)
	}
	line := summary(t, buf)
	if line["event_id"] != "ev-bad" || line["outcome"] != "rejected" || line["level"] != "ERROR" {
		t.Errorf("got log %v, want an ERROR rejected line with the event id", line)
	}
}

func TestHandleDegraded(t *testing.T) {
	rec := &recorder{}
	h, buf := newTestHandler(t, baseConfig(), stubEnricher{err: errors.New("describe: RequestLimitExceeded")}, rec)
	res, err := h.Handle(context.Background(), payload("available"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Outcome != OutcomePublished || res.Enrichment != string(notify.Unavailable) || len(rec.topics) != 1 {
		t.Errorf("got %+v to %v, want published un-enriched", res, rec.topics)
	}
	var warned bool
	for _, l := range logLines(t, buf) {
		if l["level"] == "WARN" && strings.Contains(l["error"].(string), "RequestLimitExceeded") && l["event_id"] != "" {
			warned = true
		}
	}
	if !warned {
		t.Errorf("got logs %s, want a warning with the reason", buf)
	}
}

func TestHandleSkip(t *testing.T) {
	rec := &recorder{}
	cfg := baseConfig()
	cfg.Skip = Rules{Tags: []TagRule{{Key: "aws:backup:source-resource"}}}
	img := &notify.Image{Name: "backup", Tags: []notify.Tag{{Key: "aws:backup:source-resource", Value: "i-1"}}}
	h, buf := newTestHandler(t, cfg, stubEnricher{image: img}, rec)
	res, err := h.Handle(context.Background(), payload("failed"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Outcome != OutcomeSkipped || res.SkipRule != "SKIP_TAGS=aws:backup:source-resource" || len(rec.topics) != 0 {
		t.Errorf("got %+v, published %v, want skipped by the tag rule", res, rec.topics)
	}
	if line := summary(t, buf); line["skip_rule"] != res.SkipRule || line["outcome"] != "skipped" {
		t.Errorf("got log %v, want the skip rule logged", line)
	}
}

func TestHandleSkipRules(t *testing.T) {
	tests := []struct {
		name      string
		rules     Rules
		state     string
		wantRule  string
		wantCalls int // EC2 lookups
	}{
		{"state, before EC2", Rules{States: []string{"deregistered"}}, "deregistered", "SKIP_STATES=deregistered", 0},
		{"name prefix, after EC2", Rules{NamePrefixes: []string{"tmp-"}}, "available", "SKIP_NAME_PREFIXES=tmp-", 1},
		{"no rule matches", Rules{States: []string{"disabled"}, NamePrefixes: []string{"ci-"}}, "available", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			calls := 0
			cfg := baseConfig()
			cfg.Skip = tt.rules
			h, buf := newTestHandler(t, cfg, stubEnricher{image: &notify.Image{Name: "tmp-build-7"}, calls: &calls}, rec)
			res, err := h.Handle(context.Background(), payload(tt.state))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if res.SkipRule != tt.wantRule || calls != tt.wantCalls {
				t.Errorf("got rule %q after %d lookups, want %q after %d", res.SkipRule, calls, tt.wantRule, tt.wantCalls)
			}
			wantPublishes, wantOutcome := 0, "skipped"
			if tt.wantRule == "" {
				wantPublishes, wantOutcome = 1, "published"
			}
			if len(rec.topics) != wantPublishes {
				t.Errorf("got %d publishes, want %d", len(rec.topics), wantPublishes)
			}
			if line := summary(t, buf); line["outcome"] != wantOutcome {
				t.Errorf("got log %v, want outcome %s", line, wantOutcome)
			}
		})
	}
}

func TestHandleNoOnCallTopic(t *testing.T) {
	rec := &recorder{}
	cfg := baseConfig()
	cfg.OnCallTopicARN = ""
	h, _ := newTestHandler(t, cfg, stubEnricher{image: &notify.Image{}}, rec)
	if _, err := h.Handle(context.Background(), payload("failed")); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(rec.topics) != 1 || rec.topics[0] != topic {
		t.Errorf("got topics %v, want only %s", rec.topics, topic)
	}
}

// failingRenderer stands in for a template that cannot be executed.
type failingRenderer struct{}

func (failingRenderer) Render(notify.Notification) (notify.Message, error) {
	return notify.Message{}, errors.New("template: email: boom")
}

func TestHandleRenderFailure(t *testing.T) {
	rec := &recorder{}
	var buf bytes.Buffer
	h := NewHandler(baseConfig(), stubEnricher{image: &notify.Image{}}, failingRenderer{}, rec,
		slog.New(slog.NewJSONHandler(&buf, nil)))
	res, err := h.Handle(context.Background(), payload("available"))
	var re *RenderError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v, want a *RenderError with the cause", err)
	}
	if len(rec.topics) != 0 || res.Outcome == OutcomePublished {
		t.Errorf("got %+v and %d publishes, want nothing published", res, len(rec.topics))
	}
	if line := summary(t, &buf); line["outcome"] != "failed" {
		t.Errorf("got log %v, want a failed line", line)
	}
}

func TestHandleWarningIsBounded(t *testing.T) {
	rec := &recorder{}
	long := errors.New("UnauthorizedOperation: Encoded authorization failure message: " + strings.Repeat("x", 4000))
	h, buf := newTestHandler(t, baseConfig(), stubEnricher{err: long}, rec)
	if _, err := h.Handle(context.Background(), payload("available")); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	for _, l := range logLines(t, buf) {
		if l["level"] != "WARN" {
			continue
		}
		if msg, _ := l["error"].(string); len(msg) > maxLogError+len("...") {
			t.Errorf("got a %d-byte error in the log, want at most %d", len(msg), maxLogError)
		}
		if l["reason"] != "RequestLimitExceeded" {
			t.Errorf("got reason %v, want the short reason", l["reason"])
		}
		return
	}
	t.Errorf("got no warning in %s", buf)
}

func TestHandleDryRun(t *testing.T) {
	rec := &recorder{}
	cfg := baseConfig()
	cfg.DryRun = true
	h, buf := newTestHandler(t, cfg, stubEnricher{image: &notify.Image{Name: "base"}}, rec)
	res, err := h.Handle(context.Background(), payload("failed"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Outcome != OutcomeDryRun || len(rec.topics) != 0 {
		t.Errorf("got %+v, published %v, want a dry run", res, rec.topics)
	}
	msg, ok := summary(t, buf)["message"].(map[string]any)
	if !ok || !strings.Contains(msg["Subject"].(string), "ami-0a1b2c3d4e5f60718") {
		t.Errorf("got log %s, want the rendered message logged", buf)
	}
}

func TestHandlePublishFailure(t *testing.T) {
	tests := []struct {
		name      string
		failTopic string
		wantSent  int
	}{
		{"main topic", topic, 0},
		{"on-call topic", onCallTopic, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := errors.New("NotFound: Topic does not exist")
			rec := &recorder{failFor: map[string]error{tt.failTopic: cause}}
			h, buf := newTestHandler(t, baseConfig(), stubEnricher{image: &notify.Image{}}, rec)
			res, err := h.Handle(context.Background(), payload("failed"))
			var pe *PublishError
			if !errors.As(err, &pe) || !errors.Is(err, cause) || pe.TopicARN != tt.failTopic {
				t.Fatalf("got %v, want a *PublishError for %s wrapping the cause", err, tt.failTopic)
			}
			if res.Outcome != OutcomeFailed || len(rec.topics) != tt.wantSent {
				t.Errorf("got %+v, sent %d, want failed after %d", res, len(rec.topics), tt.wantSent)
			}
			if line := summary(t, buf); line["outcome"] != "failed" || line["level"] != "ERROR" {
				t.Errorf("got log %v, want an ERROR failed line", line)
			}
		})
	}
}

// TestSampleEvents feeds every file in events/ through the runtime's own
// JSON path, as Lambda and sam local invoke do.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events found: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			rec := &recorder{}
			h, _ := newTestHandler(t, baseConfig(), stubEnricher{image: &notify.Image{Name: "sample"}}, rec)
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
			if strings.HasPrefix(name, "reject-") {
				var rej *RejectedError
				if !errors.As(err, &rej) || len(rec.topics) != 0 {
					t.Fatalf("got %v and %d publishes, want a rejection and none", err, len(rec.topics))
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			var res Result
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("response %s is not a Result: %v", out, err)
			}
			var ev struct {
				Detail struct{ ImageID, State string } `json:"detail"`
			}
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatalf("parse %s: %v", f, err)
			}
			if res.Outcome != OutcomePublished || res.ImageID != ev.Detail.ImageID || res.State != ev.Detail.State {
				t.Errorf("got %+v, want %s %s published", res, ev.Detail.ImageID, ev.Detail.State)
			}
			if len(rec.inputs) == 0 || !strings.Contains(aws.ToString(rec.inputs[0].Subject), ev.Detail.ImageID) {
				t.Errorf("got publishes %v, want a subject naming %s", rec.inputs, ev.Detail.ImageID)
			}
		})
	}
}
