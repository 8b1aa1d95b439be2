package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// Published AWS prices used for the cost figures: US East (N. Virginia),
// on-demand, without the free tier, as listed on aws.amazon.com/lambda/pricing
// and aws.amazon.com/sns/pricing. Lambda bills duration in 1 ms steps.
const (
	// Arm (Graviton) duration price for the first 7.5 billion GB-seconds a month.
	priceUSDPerGBSecond = 0.0000133334
	// Lambda request price: $0.20 per million requests.
	priceUSDPerRequest = 0.20 / 1e6
	// SNS standard topic publish price: $0.50 per million requests, where
	// every 64 KiB chunk of a published message counts as one request.
	priceUSDPerSNSPublish = 0.50 / 1e6
	snsChunkBytes         = 64 * 1024
	// memoryMB is the function's MemorySize in template.yaml.
	memoryMB = 128
)

// Targets from the benchmark issue. Sizes and memory are in MiB (2^20
// bytes), the unit /proc and ls -lh use.
const (
	targetInitRatio  = 1.5
	targetOwnNs      = 200_000
	targetOwnAllocs  = 200
	targetRSSMiB     = 30
	targetGrowthMiB  = 1 // "no growth": less than one MiB over the run
	targetBinaryMiB  = 12
	targetZipMiB     = 5
	growthWindowSize = 100
)

// lambdaCostPerMillion is what a million invocations cost at memoryMB for a
// billed duration of ceil(durationMs).
func lambdaCostPerMillion(durationMs float64) float64 {
	billedSeconds := math.Ceil(durationMs) / 1000
	return 1e6 * (priceUSDPerRequest + memoryMB/1024.0*billedSeconds*priceUSDPerGBSecond)
}

// snsCostPerMillion is what a million publishes of messageBytes cost.
func snsCostPerMillion(messageBytes int) float64 {
	chunks := max(1, (messageBytes+snsChunkBytes-1)/snsChunkBytes)
	return 1e6 * priceUSDPerSNSPublish * float64(chunks)
}

// results is .bench/results.json. The keys named in the benchmark issue come
// first; the rest add the spread, the baseline and the inputs of the cost.
type results struct {
	InitMsFunction      float64 `json:"init_ms_function"`
	InitMsBare          float64 `json:"init_ms_bare"`
	InitRatio           float64 `json:"init_ratio"`
	WarmP50Ms           float64 `json:"warm_p50_ms"`
	WarmP99Ms           float64 `json:"warm_p99_ms"`
	OwnNsPerEvent       float64 `json:"own_ns_per_event"`
	OwnAllocsPerEvent   float64 `json:"own_allocs_per_event"`
	RSSPeakMB           float64 `json:"rss_peak_mb"`
	RSSGrowthMB         float64 `json:"rss_growth_mb"`
	BootstrapBytes      int64   `json:"bootstrap_bytes"`
	ZipBytes            int64   `json:"zip_bytes"`
	USDPerMillionEvents float64 `json:"usd_per_million_events"`

	ColdStarts        int     `json:"cold_starts"`
	InitMsFunctionMin float64 `json:"init_ms_function_min"`
	InitMsFunctionMax float64 `json:"init_ms_function_max"`
	InitMsBareMin     float64 `json:"init_ms_bare_min"`
	InitMsBareMax     float64 `json:"init_ms_bare_max"`
	// Package initialisation inside the init (GODEBUG=inittrace=1, one start).
	InitPackagesMsFunction float64 `json:"init_packages_ms_function"`
	InitPackagesMsBare     float64 `json:"init_packages_ms_bare"`

	WarmEvents        int     `json:"warm_events"`
	WarmMaxMs         float64 `json:"warm_max_ms"`
	WarmMeanMs        float64 `json:"warm_mean_ms"`
	WarmP50MsBare     float64 `json:"warm_p50_ms_bare"`
	WarmP99MsBare     float64 `json:"warm_p99_ms_bare"`
	WarmMaxMsBare     float64 `json:"warm_max_ms_bare"`
	RSSAfterFirstMB   float64 `json:"rss_after_first_100_mb"`
	RSSAfterLastMB    float64 `json:"rss_after_last_mb"`
	RSSPeakMBBare     float64 `json:"rss_peak_mb_bare"`
	RSSGrowthMBBare   float64 `json:"rss_growth_mb_bare"`
	OwnNsPerEventMax  float64 `json:"own_ns_per_event_max"`
	OwnAllocsEventMax float64 `json:"own_allocs_per_event_max"`
	OwnBytesPerEvent  float64 `json:"own_bytes_per_event"`
	OwnNsOnCall       float64 `json:"own_ns_per_event_oncall"`
	OwnAllocsOnCall   float64 `json:"own_allocs_per_event_oncall"`
	StageNsDecode     float64 `json:"stage_ns_decode"`
	StageNsEnrich     float64 `json:"stage_ns_enrich"`
	StageNsRender     float64 `json:"stage_ns_render"`
	StageNsPublish    float64 `json:"stage_ns_publish"`
	StageNsSum        float64 `json:"stage_ns_sum"`
	StageAllocsDecode float64 `json:"stage_allocs_decode"`
	StageAllocsEnrich float64 `json:"stage_allocs_enrich"`
	StageAllocsRender float64 `json:"stage_allocs_render"`
	StageAllocsPubl   float64 `json:"stage_allocs_publish"`
	StageAllocsSum    float64 `json:"stage_allocs_sum"`

	BootstrapBytesBare int64 `json:"bootstrap_bytes_bare"`
	ZipBytesBare       int64 `json:"zip_bytes_bare"`

	BilledMsP50               float64 `json:"billed_ms_p50"`
	USDPerGBSecond            float64 `json:"usd_per_gb_second"`
	USDPerMillionRequests     float64 `json:"usd_per_million_requests"`
	MemoryMB                  float64 `json:"memory_mb"`
	SNSMessageBytesMax        int     `json:"sns_message_bytes_max"`
	USDPerMillionSNSPublishes float64 `json:"usd_per_million_sns_publishes"`
	LoadAverage1m             float64 `json:"load_average_1m"`

	Meta meta `json:"meta"`
}

// meta describes the run, for comparing two result files.
type meta struct {
	Time      string   `json:"time"`
	GoVersion string   `json:"go_version"`
	Host      string   `json:"host"`
	Commit    string   `json:"commit,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

func writeResults(path string, r results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("results dir: %w", err)
	}
	roundFloats(reflect.ValueOf(&r).Elem())
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// roundFloats keeps six significant digits of every float field, more than
// any of the measurements can claim, so the file reads well in a diff.
func roundFloats(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Float64 {
			x, _ := strconv.ParseFloat(strconv.FormatFloat(f.Float(), 'g', 6, 64), 64)
			f.SetFloat(x)
		}
	}
}

// readResults loads an earlier run, if there is one.
func readResults(path string) (*results, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var r results
	if json.Unmarshal(b, &r) != nil {
		return nil, false
	}
	return &r, true
}

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// printTable writes the results as a Markdown table; prev, when not nil, adds
// the previous run's value of each headline figure.
func printTable(w io.Writer, r results, prev *results) {
	row := func(cells ...string) { fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |") }
	was := func(f func(results) string) string {
		if prev == nil {
			return ""
		}
		return f(*prev)
	}
	hdr := []string{"Measure", "ami-notify", "bare Go Lambda", "Target", "Result"}
	sep := []string{"---", "---:", "---:", "---", "---"}
	if prev != nil {
		hdr = append(hdr, "Previous run")
		sep = append(sep, "---:")
	}
	row(hdr...)
	row(sep...)
	add := func(cells []string, prevCell func(results) string) {
		if prev != nil {
			cells = append(cells, was(prevCell))
		}
		row(cells...)
	}
	add([]string{
		fmt.Sprintf("Cold start: init, median of %d starts (min–max)", r.ColdStarts),
		fmt.Sprintf("%.2f ms (%.2f–%.2f)", r.InitMsFunction, r.InitMsFunctionMin, r.InitMsFunctionMax),
		fmt.Sprintf("%.2f ms (%.2f–%.2f)", r.InitMsBare, r.InitMsBareMin, r.InitMsBareMax),
		fmt.Sprintf("≤ %.1f× bare", targetInitRatio),
		fmt.Sprintf("%.2f× %s", r.InitRatio, verdict(r.InitRatio <= targetInitRatio)),
	}, func(p results) string { return fmt.Sprintf("%.2f ms, %.2f×", p.InitMsFunction, p.InitRatio) })
	add([]string{
		"Package init inside it (inittrace, one start)",
		fmt.Sprintf("%.2f ms", r.InitPackagesMsFunction),
		fmt.Sprintf("%.2f ms", r.InitPackagesMsBare),
		"", "",
	}, func(p results) string { return fmt.Sprintf("%.2f ms", p.InitPackagesMsFunction) })
	add([]string{
		fmt.Sprintf("Warm: runtime duration p50 / p99 / max, %d events, one process", r.WarmEvents),
		fmt.Sprintf("%.2f / %.2f / %.2f ms", r.WarmP50Ms, r.WarmP99Ms, r.WarmMaxMs),
		fmt.Sprintf("%.2f / %.2f / %.2f ms", r.WarmP50MsBare, r.WarmP99MsBare, r.WarmMaxMsBare),
		"", "",
	}, func(p results) string { return fmt.Sprintf("%.2f / %.2f ms", p.WarmP50Ms, p.WarmP99Ms) })
	ownOK := r.OwnNsPerEvent <= targetOwnNs && r.OwnAllocsPerEvent <= targetOwnAllocs
	add([]string{
		"Own code per event, in process (mean of the sample events)",
		fmt.Sprintf("%.1f µs, %.0f allocs, %.1f KiB", r.OwnNsPerEvent/1000, r.OwnAllocsPerEvent, r.OwnBytesPerEvent/1024),
		"", fmt.Sprintf("≤ %d µs, ≤ %d allocs", targetOwnNs/1000, targetOwnAllocs), verdict(ownOK),
	}, func(p results) string {
		return fmt.Sprintf("%.1f µs, %.0f allocs", p.OwnNsPerEvent/1000, p.OwnAllocsPerEvent)
	})
	worstOK := r.OwnNsPerEventMax <= targetOwnNs && r.OwnAllocsEventMax <= targetOwnAllocs
	add([]string{
		"Own code, slowest / most allocating sample event",
		fmt.Sprintf("%.1f µs, %.0f allocs", r.OwnNsPerEventMax/1000, r.OwnAllocsEventMax),
		"", fmt.Sprintf("≤ %d µs, ≤ %d allocs", targetOwnNs/1000, targetOwnAllocs), verdict(worstOK),
	}, func(p results) string {
		return fmt.Sprintf("%.1f µs, %.0f allocs", p.OwnNsPerEventMax/1000, p.OwnAllocsEventMax)
	})
	add([]string{
		"Own code, failed event with an on-call topic (two publishes)",
		fmt.Sprintf("%.1f µs, %.0f allocs", r.OwnNsOnCall/1000, r.OwnAllocsOnCall),
		"", "", "",
	}, func(p results) string {
		return fmt.Sprintf("%.1f µs, %.0f allocs", p.OwnNsOnCall/1000, p.OwnAllocsOnCall)
	})
	add([]string{
		"Stages: decode + enrich + render + publish",
		fmt.Sprintf("%.1f + %.1f + %.1f + %.1f = %.1f µs; %.0f + %.0f + %.0f + %.0f = %.0f allocs",
			r.StageNsDecode/1000, r.StageNsEnrich/1000, r.StageNsRender/1000, r.StageNsPublish/1000, r.StageNsSum/1000,
			r.StageAllocsDecode, r.StageAllocsEnrich, r.StageAllocsRender, r.StageAllocsPubl, r.StageAllocsSum),
		"", "", "",
	}, func(p results) string { return fmt.Sprintf("%.1f µs", p.StageNsSum/1000) })
	add([]string{
		fmt.Sprintf("Peak RSS of bootstrap (VmHWM), %d events", r.WarmEvents),
		fmt.Sprintf("%.1f MiB", r.RSSPeakMB), fmt.Sprintf("%.1f MiB", r.RSSPeakMBBare),
		fmt.Sprintf("≤ %d MiB", targetRSSMiB), verdict(r.RSSPeakMB <= targetRSSMiB),
	}, func(p results) string { return fmt.Sprintf("%.1f MiB", p.RSSPeakMB) })
	add([]string{
		fmt.Sprintf("RSS growth, after event %d → after event %d", growthWindowSize, r.WarmEvents),
		fmt.Sprintf("%+.2f MiB (%.1f → %.1f)", r.RSSGrowthMB, r.RSSAfterFirstMB, r.RSSAfterLastMB),
		fmt.Sprintf("%+.2f MiB", r.RSSGrowthMBBare),
		fmt.Sprintf("none (< %d MiB)", targetGrowthMiB), verdict(r.RSSGrowthMB < targetGrowthMiB),
	}, func(p results) string { return fmt.Sprintf("%+.2f MiB", p.RSSGrowthMB) })
	add([]string{
		"bootstrap, arm64 (as sam build makes it)",
		fmt.Sprintf("%.2f MiB (%d B)", mib(r.BootstrapBytes), r.BootstrapBytes),
		fmt.Sprintf("%.2f MiB (%d B)", mib(r.BootstrapBytesBare), r.BootstrapBytesBare),
		fmt.Sprintf("≤ %d MiB", targetBinaryMiB), verdict(mib(r.BootstrapBytes) <= targetBinaryMiB),
	}, func(p results) string { return fmt.Sprintf("%.2f MiB", mib(p.BootstrapBytes)) })
	add([]string{
		"Deployment zip (deflate)",
		fmt.Sprintf("%.2f MiB (%d B)", mib(r.ZipBytes), r.ZipBytes),
		fmt.Sprintf("%.2f MiB (%d B)", mib(r.ZipBytesBare), r.ZipBytesBare),
		fmt.Sprintf("≤ %d MiB", targetZipMiB), verdict(mib(r.ZipBytes) <= targetZipMiB),
	}, func(p results) string { return fmt.Sprintf("%.2f MiB", mib(p.ZipBytes)) })
	add([]string{
		fmt.Sprintf("Lambda cost per million events (%d MB arm64, billed %.0f ms = p50 rounded up)", memoryMB, r.BilledMsP50),
		fmt.Sprintf("$%.4f", r.USDPerMillionEvents), "", "", "",
	}, func(p results) string { return fmt.Sprintf("$%.4f", p.USDPerMillionEvents) })
	add([]string{
		fmt.Sprintf("SNS publish cost per million events (largest message %d B)", r.SNSMessageBytesMax),
		fmt.Sprintf("$%.2f", r.USDPerMillionSNSPublishes), "", "", "",
	}, func(p results) string { return fmt.Sprintf("$%.2f", p.USDPerMillionSNSPublishes) })
	fmt.Fprintf(w, "\nPrices (us-east-1, on-demand, no free tier): Lambda arm64 $%.10f per GB-second and $%.2f per million requests; SNS $%.2f per million publishes (per 64 KiB chunk).\n",
		priceUSDPerGBSecond, priceUSDPerRequest*1e6, priceUSDPerSNSPublish*1e6)
}
