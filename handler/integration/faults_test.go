package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
	"github.com/ami-notify/ami-notify/notify"
)

// TestFaults puts toxiproxy between the function and moto, one proxy for
// EC2 and one for SNS, and breaks one of them at a time. A broken EC2 costs
// only the details; a broken SNS fails the invocation within the function
// timeout, with an error that says so. Nothing hangs, nothing panics.
func TestFaults(t *testing.T) {
	w := newWorld(t)
	b := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tp, err := localaws.StartToxiproxy(ctx, b.Toxiproxy, nil)
	if err != nil {
		t.Fatalf("start toxiproxy: %v", err)
	}
	t.Cleanup(func() {
		if err := tp.Stop(); err != nil {
			t.Errorf("stop toxiproxy: %v", err)
		}
	})
	ec2Proxy, ec2URL, err := tp.Proxy("ec2", w.moto.Addr)
	if err != nil {
		t.Fatalf("%v", err)
	}
	snsProxy, snsURL, err := tp.Proxy("sns", w.moto.Addr)
	if err != nil {
		t.Fatalf("%v", err)
	}
	rt := w.startRuntime(t, runtimeOptions{ec2URL: ec2URL, snsURL: snsURL})
	e := w.event(t, "available")

	tests := []struct {
		name  string
		proxy *toxiproxy.Proxy
		toxic string
		// stream is where the toxic acts: "downstream" delays answers,
		// "upstream" resets the connection before the request reaches moto.
		stream     string
		attributes toxiproxy.Attributes
		// wantError is the errorType, "" when the event must be published.
		wantError string
	}{
		{
			name: "EC2 slower than ENRICH_TIMEOUT", proxy: ec2Proxy, toxic: "latency", stream: "downstream",
			attributes: toxiproxy.Attributes{"latency": (3 * enrichTimeout).Milliseconds()},
		},
		{
			name: "EC2 connection reset", proxy: ec2Proxy, toxic: "reset_peer", stream: "upstream",
			attributes: toxiproxy.Attributes{"timeout": 0},
		},
		{
			name: "SNS slower than PUBLISH_TIMEOUT", proxy: snsProxy, toxic: "latency", stream: "downstream",
			attributes: toxiproxy.Attributes{"latency": (3 * publishTimeout).Milliseconds()},
			wantError:  "PublishError",
		},
		{
			name: "SNS connection reset", proxy: snsProxy, toxic: "reset_peer", stream: "upstream",
			attributes: toxiproxy.Attributes{"timeout": 0},
			wantError:  "PublishError",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.proxy.AddToxic("fault", tc.toxic, tc.stream, 1, tc.attributes); err != nil {
				t.Fatalf("add %s toxic: %v", tc.toxic, err)
			}
			removed := false
			removeToxic := func() {
				if removed {
					return
				}
				removed = true
				if err := tc.proxy.RemoveToxic("fault"); err != nil {
					t.Errorf("remove toxic: %v", err)
				}
			}
			defer removeToxic()
			before := len(w.sent(t, w.subs.TopicARN))

			inv := invoke(t, rt, e.Payload)
			if inv.Elapsed >= functionTimeout {
				t.Errorf("invocation took %v, want less than the function timeout %v", inv.Elapsed, functionTimeout)
			}
			if tc.wantError != "" {
				if inv.ErrorType != tc.wantError {
					t.Fatalf("errorType: got %q, want %q (body %s)", inv.ErrorType, tc.wantError, inv.Body)
				}
				if !strings.Contains(inv.ErrorMessage, "SNS: Publish") {
					t.Errorf("error message %q does not say that SNS Publish failed", inv.ErrorMessage)
				}
				// Bounded by PUBLISH_TIMEOUT plus the EC2 call, not by the SDK's
				// retries or the function timeout.
				if limit := publishTimeout + enrichTimeout + 2*time.Second; inv.Elapsed > limit {
					t.Errorf("invocation took %v, want at most %v", inv.Elapsed, limit)
				}
				if tc.toxic == "reset_peer" {
					// The request never reached moto: nothing may be recorded.
					if got := len(w.sent(t, w.subs.TopicARN)); got != before {
						t.Errorf("topic got %d messages through a reset connection, want 0", got-before)
					}
				}
				// A delayed answer may still have been recorded by moto; drain
				// the queues so the next case starts clean.
				removeToxic()
				drain(t, w)
				return
			}
			removeToxic()
			r := decodeResult(t, inv)
			doc := w.checkPublished(t, e, r, before, notify.Unavailable)
			if doc.EnrichmentError == "" {
				t.Errorf("document enrichment_error is empty, want the reason EC2 could not be asked")
			}
			// ENRICH_TIMEOUT bounds the EC2 calls, retries included.
			if limit := enrichTimeout + 2*time.Second; inv.Elapsed > limit {
				t.Errorf("invocation took %v, want at most %v", inv.Elapsed, limit)
			}
		})
	}

	// With the faults gone the same runtime enriches and publishes again:
	// no client was left broken.
	t.Run("recovered", func(t *testing.T) {
		before := len(w.sent(t, w.subs.TopicARN))
		r := decodeResult(t, invoke(t, rt, e.Payload))
		w.checkPublished(t, e, r, before, notify.Enriched)
	})
}

// drain empties both subscriber queues.
func drain(t *testing.T, w *world) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{w.subs.QueueURL, w.subs.RawQueueURL} {
		if _, err := w.subs.Received(ctx, q, 100); err != nil {
			t.Fatalf("drain: %v", err)
		}
	}
}
