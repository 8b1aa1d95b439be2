package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// summary is the spread of a set of measurements.
type summary struct {
	N      int
	Median float64
	Min    float64
	Max    float64
	P50    float64
	P99    float64
	Mean   float64
}

// summarize computes the summary of xs (which it does not modify). The
// median is the middle value (the mean of the two middle ones for an even
// count); P50 and P99 are nearest-rank percentiles, so they are always
// values that were really measured.
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return summary{
		N:      n,
		Median: med,
		Min:    s[0],
		Max:    s[n-1],
		P50:    nearestRank(s, 50),
		P99:    nearestRank(s, 99),
		Mean:   sum / float64(n),
	}
}

// nearestRank returns the p-th percentile of sorted by the nearest-rank
// method: the smallest value with at least p% of the values at or below it.
func nearestRank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// goBench is one benchmark's result: the median over its -count runs.
type goBench struct {
	Package     string
	Name        string // without the GOMAXPROCS suffix, e.g. BenchmarkHandle/failed
	Runs        int
	NsPerOp     float64
	BytesPerOp  float64
	AllocsPerOp float64
}

// procSuffix is the -N that go test appends to a benchmark's name when
// GOMAXPROCS is above 1.
var procSuffix = regexp.MustCompile(`-\d+$`)

// parseGoBench reads `go test -bench -benchmem` output. Runs of the same
// benchmark (from -count) are merged into their medians, which are robust to
// the odd run disturbed by other work on the machine.
func parseGoBench(r io.Reader) ([]goBench, error) {
	type key struct{ pkg, name string }
	var order []key
	runs := map[key][][3]float64{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		// Name, iterations, then value-unit pairs.
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		var v [3]float64
		seen := 0
		for i := 2; i+1 < len(fields); i += 2 {
			x, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			switch fields[i+1] {
			case "ns/op":
				v[0] = x
				seen |= 1
			case "B/op":
				v[1] = x
				seen |= 2
			case "allocs/op":
				v[2] = x
				seen |= 4
			}
		}
		if seen != 7 {
			return nil, fmt.Errorf("benchmark line %q lacks ns/op, B/op or allocs/op (run with -benchmem)", line)
		}
		k := key{pkg, procSuffix.ReplaceAllString(fields[0], "")}
		if _, ok := runs[k]; !ok {
			order = append(order, k)
		}
		runs[k] = append(runs[k], v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	out := make([]goBench, 0, len(order))
	for _, k := range order {
		rs := runs[k]
		col := func(i int) float64 {
			xs := make([]float64, len(rs))
			for j, r := range rs {
				xs[j] = r[i]
			}
			return summarize(xs).Median
		}
		out = append(out, goBench{Package: k.pkg, Name: k.name, Runs: len(rs), NsPerOp: col(0), BytesPerOp: col(1), AllocsPerOp: col(2)})
	}
	return out, nil
}

// benchGroup is the mean and the worst case over the sub-benchmarks of one
// benchmark (one per sample event).
type benchGroup struct {
	Count                int
	MeanNs, MaxNs        float64
	MeanAllocs, MaxAlloc float64
	MeanBytes            float64
	WorstNs, WorstAllocs string // sub-benchmark names of the maxima
}

// group summarises the results named prefix or prefix/anything in package
// pkg. The mean weighs every sample event equally, as the warm run does.
func group(bs []goBench, pkg, prefix string) (benchGroup, bool) {
	var g benchGroup
	for _, b := range bs {
		if b.Package != pkg || (b.Name != prefix && !strings.HasPrefix(b.Name, prefix+"/")) {
			continue
		}
		g.Count++
		g.MeanNs += b.NsPerOp
		g.MeanAllocs += b.AllocsPerOp
		g.MeanBytes += b.BytesPerOp
		if b.NsPerOp > g.MaxNs {
			g.MaxNs, g.WorstNs = b.NsPerOp, b.Name
		}
		if b.AllocsPerOp > g.MaxAlloc {
			g.MaxAlloc, g.WorstAllocs = b.AllocsPerOp, b.Name
		}
	}
	if g.Count == 0 {
		return g, false
	}
	n := float64(g.Count)
	g.MeanNs /= n
	g.MeanAllocs /= n
	g.MeanBytes /= n
	return g, true
}
