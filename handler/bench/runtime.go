package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

// lambdaUnderTest is one bootstrap and how to tell that it answered right.
type lambdaUnderTest struct {
	name      string
	bootstrap string
	// check returns an error when an invocation's response is not what this
	// Lambda gives for a good event.
	check func(inv *localaws.Invocation) error
}

// checkPublished accepts only a published, fully enriched notification
// (from the Recycle Bin for deregistered images): anything else (rejected,
// failed, details unavailable) would measure another path than the real one.
func checkPublished(inv *localaws.Invocation) error {
	if inv.Failed() {
		return fmt.Errorf("invocation failed: HTTP %d %s: %s", inv.StatusCode, inv.ErrorType, inv.Body)
	}
	var res struct {
		Outcome    string `json:"outcome"`
		State      string `json:"state"`
		Enrichment string `json:"enrichment"`
	}
	want := "enriched"
	if json.Unmarshal(inv.Body, &res) == nil && res.State == "deregistered" {
		want = "recycle_bin"
	}
	if res.Outcome != "published" || res.Enrichment != want {
		return fmt.Errorf("got response %s, want outcome published, enrichment %s", inv.Body, want)
	}
	return nil
}

// checkAnswered accepts any successful response (the bare Lambda's greeting).
func checkAnswered(inv *localaws.Invocation) error {
	if inv.Failed() {
		return fmt.Errorf("invocation failed: HTTP %d %s: %s", inv.StatusCode, inv.ErrorType, inv.Body)
	}
	return nil
}

// runtimeSetup is what every runtime the benchmark starts shares.
type runtimeSetup struct {
	rie    string
	env    []string
	output io.Writer
}

func (s runtimeSetup) start(ctx context.Context, l lambdaUnderTest, extraEnv ...string) (*localaws.Runtime, error) {
	rt, err := localaws.StartRuntime(ctx, localaws.RuntimeOptions{
		RIE:       s.rie,
		Bootstrap: l.bootstrap,
		Env:       append(append([]string(nil), s.env...), extraEnv...),
		Output:    s.output,
	})
	if err != nil {
		return nil, fmt.Errorf("start %s under aws-lambda-rie: %w", l.name, err)
	}
	return rt, nil
}

// coldStart starts l in a fresh runtime, invokes it once (rie runs the init
// when the first invoke arrives) and returns the runtime's INIT REPORT
// duration in milliseconds.
func (s runtimeSetup) coldStart(ctx context.Context, l lambdaUnderTest, payload []byte, extraEnv ...string) (float64, *localaws.Runtime, error) {
	rt, err := s.start(ctx, l, extraEnv...)
	if err != nil {
		return 0, nil, err
	}
	inv, err := rt.Invoke(ctx, payload)
	if err != nil {
		rt.Stop()
		return 0, nil, fmt.Errorf("%s: %w", l.name, err)
	}
	if err := l.check(inv); err != nil {
		rt.Stop()
		return 0, nil, fmt.Errorf("%s: %w", l.name, err)
	}
	d, ok := rt.InitDuration()
	if !ok {
		rt.Stop()
		return 0, nil, fmt.Errorf("%s: no INIT REPORT(durationMs: ...) line from aws-lambda-rie", l.name)
	}
	return float64(d) / float64(time.Millisecond), rt, nil
}

// coldStarts starts each Lambda n times, alternating, so that a slow spell
// of the machine hits both alike. It returns the init durations by name.
func (s runtimeSetup) coldStarts(ctx context.Context, ls []lambdaUnderTest, payloads [][]byte, n int, progress func(string)) (map[string][]float64, error) {
	out := map[string][]float64{}
	for i := range n {
		for _, l := range ls {
			ms, rt, err := s.coldStart(ctx, l, payloads[i%len(payloads)])
			if err != nil {
				return nil, err
			}
			if err := rt.Stop(); err != nil {
				return nil, fmt.Errorf("stop %s: %w", l.name, err)
			}
			out[l.name] = append(out[l.name], ms)
		}
		if (i+1)%5 == 0 {
			progress(fmt.Sprintf("cold starts: %d/%d", i+1, n))
		}
	}
	return out, nil
}

// warmResult is one runtime process serving many events.
type warmResult struct {
	DurationsMs []float64 // the runtime's REPORT Duration of every measured event
	// RSS after each measured event (VmRSS, KiB), and the peak (VmHWM) at
	// the end, of the bootstrap process.
	RSSKiB  []int64
	PeakKiB int64
}

// warm sends one unmeasured event (the cold one), then n events cycling
// through payloads, all to the same runtime process, and records the
// runtime's duration and the bootstrap's memory after each.
func (s runtimeSetup) warm(ctx context.Context, l lambdaUnderTest, payloads [][]byte, n int, progress func(string)) (warmResult, error) {
	var res warmResult
	_, rt, err := s.coldStart(ctx, l, payloads[0])
	if err != nil {
		return res, err
	}
	defer rt.Stop()
	pid, err := rt.FunctionPID()
	if err != nil {
		return res, fmt.Errorf("%s: %w", l.name, err)
	}
	for i := range n {
		inv, err := rt.Invoke(ctx, payloads[i%len(payloads)])
		if err != nil {
			return res, fmt.Errorf("%s event %d: %w", l.name, i+1, err)
		}
		if err := l.check(inv); err != nil {
			return res, fmt.Errorf("%s event %d: %w", l.name, i+1, err)
		}
		d, ok := localaws.ReportDuration(inv.Report)
		if !ok {
			return res, fmt.Errorf("%s event %d: no REPORT Duration line (got %q)", l.name, i+1, inv.Report)
		}
		res.DurationsMs = append(res.DurationsMs, float64(d)/float64(time.Millisecond))
		mem, err := localaws.ProcMemory(pid)
		if err != nil {
			return res, fmt.Errorf("%s event %d: %w", l.name, i+1, err)
		}
		res.RSSKiB = append(res.RSSKiB, mem.RSSKiB)
		res.PeakKiB = max(res.PeakKiB, mem.PeakKiB)
		if (i+1)%100 == 0 {
			progress(fmt.Sprintf("warm %s: %d/%d events", l.name, i+1, n))
		}
	}
	// One process must have served every event: a restarted bootstrap would
	// hide a crash and reset the memory figures.
	if now, err := rt.FunctionPID(); err != nil || now != pid {
		return res, fmt.Errorf("%s: bootstrap process changed during the run (pid %d, now %d, %v)", l.name, pid, now, err)
	}
	return res, nil
}

// growthKiB is how much resident memory grew between the end of the first
// window events and the end of the run; 0 when the run is too short.
func growthKiB(rss []int64, window int) int64 {
	if len(rss) < 2*window || window <= 0 {
		return 0
	}
	return rss[len(rss)-1] - rss[window-1]
}

// initTrace starts l once with GODEBUG=inittrace=1 and returns the total
// package initialisation time in milliseconds and the slowest packages,
// from the lines the Go runtime prints: "init PKG @T ms, D ms clock, ...".
func (s runtimeSetup) initTrace(ctx context.Context, l lambdaUnderTest, payload []byte, top int) (float64, []string, error) {
	_, rt, err := s.coldStart(ctx, l, payload, "GODEBUG=inittrace=1")
	if err != nil {
		return 0, nil, err
	}
	lines := rt.Logs().Lines()
	if err := rt.Stop(); err != nil {
		return 0, nil, fmt.Errorf("stop %s: %w", l.name, err)
	}
	total, pkgs := parseInitTrace(lines)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].ms > pkgs[j].ms })
	var out []string
	for _, p := range pkgs[:min(top, len(pkgs))] {
		out = append(out, fmt.Sprintf("%s %.3f ms", p.name, p.ms))
	}
	return total, out, nil
}

type pkgInit struct {
	name string
	ms   float64
}

// parseInitTrace sums the inittrace lines of the bootstrap. aws-lambda-rie
// is a Go program too and prints its own trace at its start: only the lines
// after its "INIT START" line, when it starts the bootstrap, count.
func parseInitTrace(lines []string) (float64, []pkgInit) {
	var total float64
	var pkgs []pkgInit
	started := false
	for _, l := range lines {
		if !started {
			started = strings.Contains(l, "INIT START")
			continue
		}
		rest, ok := strings.CutPrefix(l, "init ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		// PKG @T ms, D ms clock, B bytes, A allocs
		if len(f) < 6 || f[4] != "ms" || f[5] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			continue
		}
		total += ms
		pkgs = append(pkgs, pkgInit{f[0], ms})
	}
	return total, pkgs
}
