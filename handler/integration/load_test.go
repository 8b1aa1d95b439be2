package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

// TestManyEventsOneRuntime sends 200 events through one runtime process, as
// a warm Lambda environment would see them: every one must be published,
// and the function's resident memory must stay flat.
func TestManyEventsOneRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("200 invocations; skipped with -short")
	}
	const (
		total  = 200
		warmup = 20
		// A generous bound: a leak of even a few KiB per event would pass
		// 1 MiB over 180 events; what this catches is unbounded growth such
		// as cached clients or buffers per event.
		maxGrowthKiB = 8 * 1024
	)
	w := newWorld(t)
	rt := w.startRuntime(t, runtimeOptions{})
	// The enriched sample events: the deregistered one spends its time in
	// moto's failing Recycle Bin call, which says nothing about memory.
	var mix []localaws.Event
	for _, e := range w.events {
		if !e.WantRejected() && w.wantEnrichment(e) == "enriched" {
			mix = append(mix, e)
		}
	}
	if len(mix) == 0 {
		t.Fatal("no enriched sample events")
	}

	var warm localaws.Memory
	pid := 0
	ids := map[string]bool{}
	for i := range total {
		src := mix[i%len(mix)]
		e := withImage(t, src, fmt.Sprintf("10000000-0000-4000-8000-%012d", i), src.Detail.ImageID, src.Region)
		r := decodeResult(t, invoke(t, rt, e.Payload))
		if r.Outcome != "published" || r.Enrichment != "enriched" || len(r.Deliveries) != 1 {
			t.Fatalf("event %d (%s): got %+v, want published and enriched", i, src.Name, r)
		}
		ids[r.Deliveries[0].MessageID] = true
		if i == warmup-1 {
			var err error
			if pid, err = rt.FunctionPID(); err != nil {
				t.Fatalf("%v", err)
			}
			if warm, err = localaws.ProcMemory(pid); err != nil {
				t.Fatalf("%v", err)
			}
		}
	}
	end, err := localaws.ProcMemory(pid)
	if err != nil {
		t.Fatalf("bootstrap is gone after %d events (restarted?): %v", total, err)
	}
	if now, err := rt.FunctionPID(); err != nil || now != pid {
		t.Errorf("bootstrap pid: got %d (%v), want %d: the runtime restarted the function", now, err, pid)
	}
	t.Logf("bootstrap RSS after %d events: %d KiB; after %d: %d KiB (peak %d KiB)",
		warmup, warm.RSSKiB, total, end.RSSKiB, end.PeakKiB)
	if growth := end.RSSKiB - warm.RSSKiB; growth > maxGrowthKiB {
		t.Errorf("RSS grew by %d KiB over %d events, want at most %d", growth, total-warmup, maxGrowthKiB)
	}

	if len(ids) != total {
		t.Errorf("got %d distinct message ids, want %d", len(ids), total)
	}
	if got := len(w.sent(t, w.subs.TopicARN)); got != total {
		t.Errorf("topic recorded %d messages, want %d", got, total)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bodies, err := w.subs.Received(ctx, w.subs.RawQueueURL, total+10)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if len(bodies) != total {
		t.Errorf("raw SQS subscriber got %d messages, want %d", len(bodies), total)
	}
}
