package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name                       string
		in                         []float64
		median, p50, p99, min, max float64
	}{
		{"empty", nil, 0, 0, 0, 0, 0},
		{"one", []float64{4}, 4, 4, 4, 4, 4},
		{"odd count", []float64{5, 1, 3}, 3, 3, 5, 1, 5},
		{"even count takes the mean of the middle two", []float64{4, 1, 3, 2}, 2.5, 2, 4, 1, 4},
		{"p99 of 100 is the 99th value", seq(100), 50.5, 50, 99, 1, 100},
		{"p99 of 500 is the 495th value", seq(500), 250.5, 250, 495, 1, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(tt.in)
			got := []float64{s.Median, s.P50, s.P99, s.Min, s.Max}
			want := []float64{tt.median, tt.p50, tt.p99, tt.min, tt.max}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("got median/p50/p99/min/max %v, want %v", got, want)
				}
			}
		})
	}
}

// seq returns 1..n in reverse, so summarize must sort.
func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(n - i)
	}
	return xs
}

const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/ami-notify/ami-notify/handler/ami
cpu: AMD EPYC
BenchmarkDecode/available-copy-2         	  279018	      5152 ns/op	    1200 B/op	      24 allocs/op
BenchmarkHandle/available-copy-2         	   15781	     75742 ns/op	   55186 B/op	     188 allocs/op
BenchmarkHandle/available-copy-2         	   15781	     70000 ns/op	   55186 B/op	     188 allocs/op
BenchmarkHandle/available-copy-2         	   15781	     90000 ns/op	   55186 B/op	     188 allocs/op
BenchmarkHandle/failed-2                 	   12985	     93716 ns/op	   91203 B/op	     215 allocs/op
BenchmarkHandleOnCall/failed-2           	    5989	    189321 ns/op	   91246 B/op	     214 allocs/op
PASS
ok  	github.com/ami-notify/ami-notify/handler/ami	31.221s
goos: linux
pkg: github.com/ami-notify/ami-notify/notify
BenchmarkRender-2   	   41499	     29357 ns/op	   14612 B/op	     103 allocs/op
PASS
`

func TestParseGoBench(t *testing.T) {
	bs, err := parseGoBench(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatalf("parseGoBench: %v", err)
	}
	if len(bs) != 5 {
		t.Fatalf("got %d benchmarks, want 5 (runs of one benchmark merged): %+v", len(bs), bs)
	}
	h := bs[1]
	if h.Name != "BenchmarkHandle/available-copy" || h.Runs != 3 || h.NsPerOp != 75742 || h.AllocsPerOp != 188 {
		t.Errorf("got %+v, want BenchmarkHandle/available-copy, 3 runs, median 75742 ns/op, 188 allocs/op", h)
	}
	if r := bs[4]; r.Package != "github.com/ami-notify/ami-notify/notify" || r.Name != "BenchmarkRender" {
		t.Errorf("got %s %s, want notify's BenchmarkRender", r.Package, r.Name)
	}

	const ami = "github.com/ami-notify/ami-notify/handler/ami"
	g, ok := group(bs, ami, "BenchmarkHandle")
	if !ok {
		t.Fatal("group BenchmarkHandle: not found")
	}
	// BenchmarkHandleOnCall shares the prefix but is another benchmark.
	if g.Count != 2 || g.MeanNs != (75742+93716)/2.0 || g.MaxAlloc != 215 || g.WorstNs != "BenchmarkHandle/failed" {
		t.Errorf("got %+v, want 2 events, mean %.1f ns, worst failed with 215 allocs", g, (75742+93716)/2.0)
	}
	if _, ok := group(bs, "github.com/ami-notify/ami-notify/notify", "BenchmarkHandle"); ok {
		t.Error("group found BenchmarkHandle in notify, want it per package")
	}
}

func TestParseGoBenchNeedsBenchmem(t *testing.T) {
	_, err := parseGoBench(strings.NewReader("BenchmarkDecode-2   	  279018	      5152 ns/op\n"))
	if err == nil || !strings.Contains(err.Error(), "-benchmem") {
		t.Fatalf("got %v, want an error asking for -benchmem", err)
	}
}

func TestBareRecipe(t *testing.T) {
	tests := []struct {
		name, makeN, want, wantErr string
	}{
		{
			name:  "function target",
			makeN: `CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o /tmp/x/bootstrap ./handler` + "\n",
			want:  `CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o /tmp/x/bootstrap ./handler/bench/bare`,
		},
		{name: "two commands", makeN: "mkdir -p x\ngo build -o x/bootstrap ./handler\n", wantErr: "2 commands"},
		{name: "another package", makeN: "go build -o x/bootstrap ./handler/cmd/preview\n", wantErr: "not a go build"},
		{name: "nothing", makeN: "\n", wantErr: "0 commands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bareRecipe(tt.makeN)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v, want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		name       string
		durationMs float64
		want       float64
	}{
		// 1e6 requests at $0.20 plus 1e6 × 0.125 GB × 0.001 s × $0.0000133334.
		{"one millisecond", 1, 0.20 + 0.125*0.001*0.0000133334*1e6},
		{"rounded up to the next millisecond", 9.01, 0.20 + 0.125*0.010*0.0000133334*1e6},
		{"100 ms", 100, 0.20 + 0.125*0.1*0.0000133334*1e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lambdaCostPerMillion(tt.durationMs); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got $%.6f, want $%.6f", got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		bytes int
		want  float64
	}{{12000, 0.50}, {65536, 0.50}, {65537, 1.00}, {200000, 2.00}} {
		if got := snsCostPerMillion(tt.bytes); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("snsCostPerMillion(%d): got $%.2f, want $%.2f (per 64 KiB chunk)", tt.bytes, got, tt.want)
		}
	}
}

func TestGrowth(t *testing.T) {
	rss := make([]int64, 500)
	for i := range rss {
		rss[i] = 17000
	}
	rss[99], rss[499] = 17100, 17600
	if got := growthKiB(rss, 100); got != 500 {
		t.Errorf("got %d KiB, want 500 (after event 500 minus after event 100)", got)
	}
	if got := growthKiB(rss[:150], 100); got != 0 {
		t.Errorf("got %d KiB for a run shorter than two windows, want 0", got)
	}
}

func TestParseInitTrace(t *testing.T) {
	lines := []string{
		"init runtime @0.048 ms, 0.13 ms clock, 0 bytes, 0 allocs", // aws-lambda-rie's own
		"26 Nov 2026 22:41:45,387 [INFO] (rapid) INIT START(type: on-demand, phase: init)",
		"init runtime @0.036 ms, 0.086 ms clock, 0 bytes, 0 allocs",
		"init github.com/aws/aws-sdk-go-v2/service/sns/schemas @1.3 ms, 0.14 ms clock, 175464 bytes, 1055 allocs",
		`{"level":"INFO","msg":"init done"}`,
	}
	total, pkgs := parseInitTrace(lines)
	if math.Abs(total-0.226) > 1e-9 || len(pkgs) != 2 || pkgs[1].name != "github.com/aws/aws-sdk-go-v2/service/sns/schemas" {
		t.Errorf("got %.3f ms over %+v, want 0.226 ms over the bootstrap's two packages", total, pkgs)
	}
}

func TestRecycleBin(t *testing.T) {
	var forwarded []string
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("moto got an unreadable form: %v", err)
		}
		forwarded = append(forwarded, r.PostForm.Get("Action"))
		_, _ = w.Write([]byte("<DescribeImagesResponse/>"))
	}))
	defer moto.Close()
	rb, err := startRecycleBin(moto.URL, map[string]string{"ami-0d4c3b2a1f0e9d8c7": "batch-worker"})
	if err != nil {
		t.Fatalf("startRecycleBin: %v", err)
	}
	defer func() {
		if err := rb.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	post := func(form url.Values) (int, []byte) {
		t.Helper()
		resp, err := http.Post(rb.URL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatalf("post: %v", err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(resp.Body); err != nil {
			t.Fatalf("read reply: %v", err)
		}
		return resp.StatusCode, b.Bytes()
	}

	code, body := post(url.Values{"Action": {"DescribeImages"}, "ImageId.1": {"ami-0d4c3b2a1f0e9d8c7"}})
	if code != http.StatusOK || string(body) != "<DescribeImagesResponse/>" || len(forwarded) != 1 || forwarded[0] != "DescribeImages" {
		t.Fatalf("DescribeImages: got %d %q (moto saw %v), want it forwarded to moto with its body", code, body, forwarded)
	}

	tests := []struct {
		name    string
		ids     []string
		wantIDs []string
	}{
		{"image in the bin", []string{"ami-0d4c3b2a1f0e9d8c7"}, []string{"ami-0d4c3b2a1f0e9d8c7"}},
		{"image not in the bin", []string{"ami-0a1b2c3d4e5f60718"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"Action": {"ListImagesInRecycleBin"}, "Version": {"2016-11-15"}}
			for i, id := range tt.ids {
				form.Set("ImageId."+string(rune('1'+i)), id)
			}
			code, body := post(form)
			var reply struct {
				Items []struct {
					ImageID string `xml:"imageId"`
					Name    string `xml:"name"`
					Exit    string `xml:"recycleBinExitTime"`
				} `xml:"imageSet>item"`
			}
			if err := xml.Unmarshal(body, &reply); code != http.StatusOK || err != nil {
				t.Fatalf("got %d %q (%v), want an EC2 XML reply", code, body, err)
			}
			var ids []string
			for _, it := range reply.Items {
				ids = append(ids, it.ImageID)
				exit, err := time.Parse(time.RFC3339, it.Exit)
				if err != nil || !exit.After(time.Now()) || it.Name != "batch-worker" {
					t.Errorf("got item %+v, want a name and a restore deadline in the future", it)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("got images %v, want %v", ids, tt.wantIDs)
			}
		})
	}
	if len(forwarded) != 1 {
		t.Errorf("moto saw %v, want only the DescribeImages call", forwarded)
	}
}

func TestWriteResultsRoundTrips(t *testing.T) {
	path := t.TempDir() + "/sub/results.json"
	in := results{InitRatio: 1.7285528997591255, USDPerGBSecond: priceUSDPerGBSecond, BootstrapBytes: 12189858,
		Meta: meta{Notes: []string{"/proc/<pid>/status"}}}
	if err := writeResults(path, in); err != nil {
		t.Fatalf("writeResults: %v", err)
	}
	out, ok := readResults(path)
	if !ok {
		t.Fatal("readResults: could not read what writeResults wrote")
	}
	if out.InitRatio != 1.72855 || out.USDPerGBSecond != priceUSDPerGBSecond || out.BootstrapBytes != 12189858 || out.Meta.Notes[0] != "/proc/<pid>/status" {
		t.Errorf("got %+v, want the ratio to six digits and the price and size unchanged", out)
	}
}

func TestResultsHaveTheIssueKeys(t *testing.T) {
	b, err := json.Marshal(results{})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	for _, k := range []string{"init_ms_function", "init_ms_bare", "init_ratio", "warm_p50_ms", "warm_p99_ms",
		"own_ns_per_event", "own_allocs_per_event", "rss_peak_mb", "rss_growth_mb", "bootstrap_bytes", "zip_bytes",
		"usd_per_million_events"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("results.json key %q: got %v, want a number", k, m[k])
		}
	}
}

func TestPrintTable(t *testing.T) {
	r := results{ColdStarts: 20, InitMsFunction: 4.6, InitMsBare: 2.7, InitRatio: 1.7, WarmEvents: 500,
		OwnNsPerEvent: 64000, OwnAllocsPerEvent: 180, RSSPeakMB: 18, BootstrapBytes: 12189858, ZipBytes: 4521575}
	var buf bytes.Buffer
	printTable(&buf, r, &r)
	out := buf.String()
	for _, want := range []string{
		"| Measure | ami-notify | bare Go Lambda | Target | Result | Previous run |",
		"1.70× **missed**",
		"64.0 µs, 180 allocs",
		"11.63 MiB (12189858 B)",
		"$0.0000133334 per GB-second",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for i, l := range strings.Split(strings.TrimSpace(strings.Split(out, "\n\n")[0]), "\n") {
		if got := strings.Count(l, " | "); got != 5 {
			t.Errorf("table line %d has %d inner separators, want 5 (6 columns): %q", i, got, l)
		}
	}
}
