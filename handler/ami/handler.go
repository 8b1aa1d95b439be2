package ami

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ami-notify/ami-notify/notify"
)

// Outcomes of one event, as logged and returned.
const (
	OutcomePublished = "published"
	OutcomeSkipped   = "skipped"
	OutcomeDryRun    = "dry_run"
	OutcomeRejected  = "rejected"
	OutcomeFailed    = "failed"
)

// PublishError means the notification could not be handed to SNS. The
// invocation fails with it, so Lambda retries the event and, after the last
// retry, sends it to the failure destination. Its type name is what Lambda
// reports as errorType.
type PublishError struct {
	TopicARN string
	Err      error
}

func (e *PublishError) Error() string { return e.Err.Error() }
func (e *PublishError) Unwrap() error { return e.Err }

// RenderError means the notification could not be rendered. It fails the
// invocation, so the event ends in the failure destination with this error.
type RenderError struct {
	Err error
}

func (e *RenderError) Error() string { return e.Err.Error() }
func (e *RenderError) Unwrap() error { return e.Err }

// maxLogError bounds an error's text in a log line: EC2's messages (an
// encoded authorization failure, for one) can run to kilobytes.
const maxLogError = 256

// Result is the invocation's response: what happened to the event.
type Result struct {
	Outcome    string     `json:"outcome"`
	EventID    string     `json:"event_id"`
	ImageID    string     `json:"image_id"`
	State      string     `json:"state"`
	Region     string     `json:"region"`
	Enrichment string     `json:"enrichment"`
	SkipRule   string     `json:"skip_rule,omitempty"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// Delivery is one published copy of the notification.
type Delivery struct {
	TopicARN  string `json:"topic_arn"`
	MessageID string `json:"message_id"`
}

// Enricher is what the handler needs from EC2: a notification for each change.
type Enricher interface {
	Enrich(ctx context.Context, c notify.StateChange) (notify.Notification, error)
}

// Renderer turns a notification into a message for every channel.
type Renderer interface {
	Render(n notify.Notification) (notify.Message, error)
}

// Handler handles one EventBridge event per invocation.
type Handler struct {
	cfg       Config
	enricher  Enricher
	renderer  Renderer
	publisher notify.Publisher
	log       *slog.Logger
}

// NewHandler wires a handler from its configuration and dependencies.
func NewHandler(cfg Config, e Enricher, r Renderer, p notify.Publisher, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, enricher: e, renderer: r, publisher: p, log: log}
}

// Handle decodes, enriches, filters, renders and publishes one event.
// It takes the raw payload so that it can reject any malformed event itself,
// with its id in the log, rather than fail inside the runtime's decoder.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Result, error) {
	c, err := Decode(payload)
	if err != nil {
		var rej *RejectedError
		id := ""
		if errors.As(err, &rej) {
			id = rej.EventID
		}
		h.log.LogAttrs(ctx, slog.LevelError, "event",
			slog.String("event_id", id), slog.String("outcome", OutcomeRejected), slog.String("error", err.Error()))
		return Result{Outcome: OutcomeRejected, EventID: id}, err
	}
	res := Result{EventID: c.EventID, ImageID: c.ImageID, State: c.State, Region: c.Region}
	attrs := []slog.Attr{
		slog.String("event_id", c.EventID), slog.String("image_id", c.ImageID),
		slog.String("state", c.State), slog.String("region", c.Region),
	}

	// A state rule needs no image details: skip before asking EC2.
	if rule := h.cfg.Skip.SkipState(c.State); rule != "" {
		res.Outcome, res.SkipRule = OutcomeSkipped, rule
		h.log.LogAttrs(ctx, slog.LevelInfo, "event", append(attrs,
			slog.String("outcome", OutcomeSkipped), slog.String("skip_rule", rule))...)
		return res, nil
	}

	start := time.Now()
	n, err := h.enricher.Enrich(ctx, c)
	attrs = append(attrs, slog.Int64("enrich_ms", time.Since(start).Milliseconds()))
	res.Enrichment = string(n.Enrichment)
	attrs = append(attrs, slog.String("enrichment", res.Enrichment))
	if err != nil {
		// Degraded, not failed: the message says details are missing.
		h.log.LogAttrs(ctx, slog.LevelWarn, "enrichment incomplete",
			slog.String("event_id", c.EventID), slog.String("image_id", c.ImageID),
			slog.String("reason", n.EnrichmentError), slog.String("error", clip(err.Error(), maxLogError)))
	}

	if rule := h.cfg.Skip.Skip(n); rule != "" {
		res.Outcome, res.SkipRule = OutcomeSkipped, rule
		h.log.LogAttrs(ctx, slog.LevelInfo, "event", append(attrs,
			slog.String("outcome", OutcomeSkipped), slog.String("skip_rule", rule))...)
		return res, nil
	}

	msg, err := h.renderer.Render(n)
	if err != nil {
		err = &RenderError{Err: fmt.Errorf("render %s %s: %w", c.ImageID, c.State, err)}
		h.log.LogAttrs(ctx, slog.LevelError, "event", append(attrs,
			slog.String("outcome", OutcomeFailed), slog.String("error", err.Error()))...)
		return res, err
	}

	if h.cfg.DryRun {
		res.Outcome = OutcomeDryRun
		// Dry runs exist to show the messages, so they are logged in full.
		h.log.LogAttrs(ctx, slog.LevelInfo, "event", append(attrs,
			slog.String("outcome", OutcomeDryRun), slog.Any("message", msg))...)
		return res, nil
	}

	start = time.Now()
	res.Deliveries, err = h.publish(ctx, n, msg)
	attrs = append(attrs, slog.Int64("publish_ms", time.Since(start).Milliseconds()))
	ids := make([]string, len(res.Deliveries))
	for i, d := range res.Deliveries {
		ids[i] = d.MessageID
	}
	attrs = append(attrs, slog.Any("message_ids", ids))
	if err != nil {
		res.Outcome = OutcomeFailed
		h.log.LogAttrs(ctx, slog.LevelError, "event", append(attrs,
			slog.String("outcome", OutcomeFailed), slog.String("error", err.Error()))...)
		return res, err
	}
	res.Outcome = OutcomePublished
	h.log.LogAttrs(ctx, slog.LevelInfo, "event", append(attrs, slog.String("outcome", OutcomePublished))...)
	return res, nil
}

// targets returns the topics this notification goes to: always the main
// topic, and the on-call topic for the states routed there.
func (h *Handler) targets(state string) []string {
	t := []string{h.cfg.TopicARN}
	if h.cfg.OnCallTopicARN != "" && slices.Contains(h.cfg.OnCallStates, state) {
		t = append(t, h.cfg.OnCallTopicARN)
	}
	return t
}

// publish sends the message to every target. Any failure fails the event,
// so Lambda retries it whole: a retry may repeat a delivery that succeeded
// (subscribers can tell by the event id), but never loses one.
func (h *Handler) publish(ctx context.Context, n notify.Notification, msg notify.Message) ([]Delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.PublishTimeout)
	defer cancel()
	topics := h.targets(n.Change.State)
	ids, err := notify.Publish(ctx, h.publisher, topics, n, msg)
	out := make([]Delivery, len(ids))
	for i, id := range ids {
		out[i] = Delivery{TopicARN: topics[i], MessageID: id}
	}
	if err != nil {
		// Publish stops at the first failure: it is the topic after the
		// ones sent.
		return out, &PublishError{TopicARN: topics[len(ids)], Err: err}
	}
	return out, nil
}
