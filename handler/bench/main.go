// Command bench measures ami-notify side by side with a bare Go Lambda
// (handler/bench/bare, built with the same recipe): cold start and warm
// duration under the real Lambda runtime emulator against moto, the
// function's own code in Go benchmarks, memory, binary and zip size, and
// what a million events cost. It prints a Markdown table and writes the
// numbers to .bench/results.json. Run it with `make bench`, which first
// makes the virtualenv that provides moto_server.
//
// Everything it starts listens on 127.0.0.1 and is stopped before it exits,
// also on Ctrl-C.
package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	cold, warm int
	out        string
	benchtime  string
	count      int
	verbose    bool
}

func parseFlags() (options, error) {
	var o options
	flag.IntVar(&o.cold, "cold", 20, "cold starts of each binary (alternating)")
	flag.IntVar(&o.warm, "warm", 500, "events through one runtime process")
	flag.StringVar(&o.out, "out", ".bench/results.json", "results file")
	flag.StringVar(&o.benchtime, "benchtime", "200ms", "go test -benchtime for the Go benchmarks")
	flag.IntVar(&o.count, "count", 3, "go test -count for the Go benchmarks (the median is kept)")
	flag.BoolVar(&o.verbose, "v", false, "echo the output of moto, aws-lambda-rie and the function")
	flag.Parse()
	if o.cold < 1 {
		return o, errors.New("-cold must be at least 1")
	}
	if o.warm < 2*growthWindowSize {
		return o, fmt.Errorf("-warm must be at least %d to tell growth from warm-up", 2*growthWindowSize)
	}
	if o.count < 1 {
		return o, errors.New("-count must be at least 1")
	}
	return o, nil
}

func progress(s string) { fmt.Fprintf(os.Stderr, "bench: %s\n", s) }

func run() error {
	opts, err := parseFlags()
	if err != nil {
		return err
	}
	// Ctrl-C cancels the context; every deferred Stop still runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()

	root, err := localaws.ModuleRoot()
	if err != nil {
		return err
	}
	outPath := opts.out
	if !filepath.IsAbs(outPath) {
		outPath = filepath.Join(root, outPath)
	}
	prev, _ := readResults(outPath)
	tmp, err := os.MkdirTemp("", "ami-notify-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	r := results{
		ColdStarts:            opts.cold,
		WarmEvents:            opts.warm,
		MemoryMB:              memoryMB,
		USDPerGBSecond:        priceUSDPerGBSecond,
		USDPerMillionRequests: priceUSDPerRequest * 1e6,
		LoadAverage1m:         loadAverage(),
		Meta: meta{
			Time:      start.UTC().Format(time.RFC3339),
			GoVersion: runtime.Version(),
			Host:      hostDescription(),
			Commit:    gitCommit(root),
		},
	}

	// After Ctrl-C every step fails with whatever it was doing; say why
	// instead, once the deferred stops have run.
	interrupted := func(err error) error {
		if ctx.Err() != nil {
			return errors.New("interrupted (everything it started is stopped)")
		}
		return err
	}
	if err := measureBuilds(ctx, tmp, &r); err != nil {
		return interrupted(err)
	}
	if err := measureGoBenchmarks(ctx, root, opts, &r); err != nil {
		return interrupted(err)
	}
	if err := measureRuntime(ctx, tmp, opts, &r); err != nil {
		return interrupted(err)
	}

	if err := writeResults(outPath, r); err != nil {
		return err
	}
	fmt.Println()
	printTable(os.Stdout, r, prev)
	fmt.Println()
	for _, n := range r.Meta.Notes {
		fmt.Println("- " + n)
	}
	progress(fmt.Sprintf("done in %s; results in %s", time.Since(start).Round(time.Second), outPath))
	return nil
}

// measureBuilds builds the arm64 function exactly as sam build does, and the
// bare Lambda with the same recipe, and records their sizes.
func measureBuilds(ctx context.Context, tmp string, r *results) error {
	progress("building the arm64 function and bare Lambda (make build-AmiNotifyFunction)")
	fnDir, bareDir := filepath.Join(tmp, "arm64", "function"), filepath.Join(tmp, "arm64", "bare")
	for _, d := range []string{fnDir, bareDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("build dir: %w", err)
		}
	}
	fn, err := localaws.BuildBootstrapArch(ctx, fnDir, "")
	if err != nil {
		return err
	}
	bare, err := buildBare(ctx, bareDir, "")
	if err != nil {
		return err
	}
	fs, err := measureSizes(fn, elf.EM_AARCH64)
	if err != nil {
		return err
	}
	bs, err := measureSizes(bare, elf.EM_AARCH64)
	if err != nil {
		return err
	}
	r.BootstrapBytes, r.ZipBytes = fs.Bytes, fs.Zip
	r.BootstrapBytesBare, r.ZipBytesBare = bs.Bytes, bs.Zip
	return nil
}

// measureGoBenchmarks runs the handler's and notify's Go benchmarks and
// takes the whole in-process path (BenchmarkHandle) as the cost of one event.
func measureGoBenchmarks(ctx context.Context, root string, opts options, r *results) error {
	progress(fmt.Sprintf("Go benchmarks (-benchtime %s -count %d)", opts.benchtime, opts.count))
	// -p 1: one package at a time, so the benchmarks do not share the CPUs.
	cmd := exec.CommandContext(ctx, "go", "test", "-p", "1", "-run", "^$", "-bench", ".", "-benchmem",
		"-benchtime", opts.benchtime, "-count", strconv.Itoa(opts.count), "./handler/ami", "./notify")
	cmd.Dir = root
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -bench: %w\n%s%s", err, out.Bytes(), stderr.Bytes())
	}
	bs, err := parseGoBench(&out)
	if err != nil {
		return err
	}
	const ami = "github.com/ami-notify/ami-notify/handler/ami"
	get := func(name string) (benchGroup, error) {
		g, ok := group(bs, ami, name)
		if !ok {
			return g, fmt.Errorf("go test -bench printed no %s in %s", name, ami)
		}
		return g, nil
	}
	handle, err := get("BenchmarkHandle")
	if err != nil {
		return err
	}
	r.OwnNsPerEvent, r.OwnAllocsPerEvent, r.OwnBytesPerEvent = handle.MeanNs, handle.MeanAllocs, handle.MeanBytes
	r.OwnNsPerEventMax, r.OwnAllocsEventMax = handle.MaxNs, handle.MaxAlloc
	if oc, err := get("BenchmarkHandleOnCall"); err == nil {
		r.OwnNsOnCall, r.OwnAllocsOnCall = oc.MeanNs, oc.MeanAllocs
	}
	stages := []struct {
		name       string
		ns, allocs *float64
	}{
		{"BenchmarkDecode", &r.StageNsDecode, &r.StageAllocsDecode},
		{"BenchmarkEnrich", &r.StageNsEnrich, &r.StageAllocsEnrich},
		{"BenchmarkRenderEvent", &r.StageNsRender, &r.StageAllocsRender},
		{"BenchmarkPublishMessage", &r.StageNsPublish, &r.StageAllocsPubl},
	}
	for _, s := range stages {
		g, err := get(s.name)
		if err != nil {
			return err
		}
		*s.ns, *s.allocs = g.MeanNs, g.MeanAllocs
		r.StageNsSum += g.MeanNs
		r.StageAllocsSum += g.MeanAllocs
	}
	r.Meta.Notes = append(r.Meta.Notes, fmt.Sprintf(
		"Own code = BenchmarkHandle (handler/ami/bench_test.go): one event through lambda.NewHandler(h.Handle).Invoke with fake EC2 and SNS, "+
			"mean over %d sample events (worst: %s). Handle also covers what the stage benchmarks leave out: the runtime's JSON, the skip rules and the log line.",
		handle.Count, handle.WorstNs))
	if g, ok := group(bs, "github.com/ami-notify/ami-notify/notify", "BenchmarkRender"); ok {
		r.Meta.Notes = append(r.Meta.Notes, fmt.Sprintf("notify's own BenchmarkRender (%d benchmark(s), on its test cases): %.1f µs, %.0f allocs.",
			g.Count, g.MeanNs/1000, g.MeanAllocs))
	}
	return nil
}

// measureRuntime runs both binaries under aws-lambda-rie against moto: the
// cold starts, the warm run with memory, and the init trace.
func measureRuntime(ctx context.Context, tmp string, opts options, r *results) error {
	var echo io.Writer
	if opts.verbose {
		echo = os.Stderr
	}
	progress("building the host binaries and aws-lambda-rie")
	hostFn, hostBare := filepath.Join(tmp, "host", "function"), filepath.Join(tmp, "host", "bare")
	for _, d := range []string{hostFn, hostBare} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("build dir: %w", err)
		}
	}
	fnBin, err := localaws.BuildBootstrap(ctx, hostFn)
	if err != nil {
		return err
	}
	// The bare binary is named bootstrap too, as Lambda requires and as the
	// harness looks for it among rie's children.
	bareBin, err := buildBare(ctx, hostBare, runtime.GOARCH)
	if err != nil {
		return err
	}
	rie, err := localaws.BuildTool(ctx, tmp, localaws.RIEPackage, "aws-lambda-rie")
	if err != nil {
		return err
	}

	progress("starting moto")
	m, err := localaws.StartMoto(ctx, localaws.MotoOptions{Output: echo})
	if err != nil {
		return fmt.Errorf("start moto (run `make venv` first): %w", err)
	}
	defer m.Stop()
	all, err := localaws.LoadEvents()
	if err != nil {
		return err
	}
	var payloads [][]byte
	var names []string
	var good []localaws.Event
	for _, e := range all {
		// Rejected events end at Decode: they would flatter the durations.
		if e.WantRejected() {
			continue
		}
		good = append(good, e)
		payloads = append(payloads, e.Payload)
		names = append(names, e.Name)
	}
	if len(payloads) == 0 {
		return errors.New("no sample events to send")
	}
	if err := localaws.PrepareImages(ctx, m, good); err != nil {
		return err
	}
	seed, err := localaws.Seed()
	if err != nil {
		return err
	}
	inBin := map[string]string{}
	for _, e := range good {
		if e.Detail.State == "deregistered" {
			inBin[e.Detail.ImageID] = seed[e.Detail.ImageID].Name
		}
	}
	rb, err := startRecycleBin(m.URL, inBin)
	if err != nil {
		return err
	}
	defer rb.Stop()
	topic, err := sns.NewFromConfig(m.Config(localaws.DefaultRegion)).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ami-notify-bench")})
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	topicARN := aws.ToString(topic.TopicArn)

	setup := runtimeSetup{
		rie: rie,
		env: append(localaws.FunctionEnv(m.URL, localaws.DefaultRegion),
			"AWS_ENDPOINT_URL_EC2="+rb.URL, "TOPIC_ARN="+topicARN),
		output: echo,
	}
	fn := lambdaUnderTest{name: "ami-notify", bootstrap: fnBin, check: checkPublished}
	bare := lambdaUnderTest{name: "bare", bootstrap: bareBin, check: checkAnswered}

	progress(fmt.Sprintf("cold starts: %d of each, alternating", opts.cold))
	inits, err := setup.coldStarts(ctx, []lambdaUnderTest{fn, bare}, payloads, opts.cold, progress)
	if err != nil {
		return err
	}
	fi, bi := summarize(inits[fn.name]), summarize(inits[bare.name])
	r.InitMsFunction, r.InitMsFunctionMin, r.InitMsFunctionMax = fi.Median, fi.Min, fi.Max
	r.InitMsBare, r.InitMsBareMin, r.InitMsBareMax = bi.Median, bi.Min, bi.Max
	if bi.Median > 0 {
		r.InitRatio = fi.Median / bi.Median
	}

	var fnTop []string
	r.InitPackagesMsFunction, fnTop, err = setup.initTrace(ctx, fn, payloads[0], 8)
	if err != nil {
		return err
	}
	if r.InitPackagesMsBare, _, err = setup.initTrace(ctx, bare, payloads[0], 0); err != nil {
		return err
	}
	if r.InitRatio > targetInitRatio && len(fnTop) > 0 {
		r.Meta.Notes = append(r.Meta.Notes, "Slowest package inits of the function (GODEBUG=inittrace=1): "+strings.Join(fnTop, ", ")+".")
	}

	progress(fmt.Sprintf("warm: %d events through one ami-notify process", opts.warm))
	fw, err := setup.warm(ctx, fn, payloads, opts.warm, progress)
	if err != nil {
		return err
	}
	progress(fmt.Sprintf("warm: %d events through one bare process", opts.warm))
	bw, err := setup.warm(ctx, bare, payloads, opts.warm, progress)
	if err != nil {
		return err
	}
	fd, bd := summarize(fw.DurationsMs), summarize(bw.DurationsMs)
	r.WarmP50Ms, r.WarmP99Ms, r.WarmMaxMs, r.WarmMeanMs = fd.P50, fd.P99, fd.Max, fd.Mean
	r.WarmP50MsBare, r.WarmP99MsBare, r.WarmMaxMsBare = bd.P50, bd.P99, bd.Max
	const kibPerMiB = 1024.0
	r.RSSPeakMB = float64(fw.PeakKiB) / kibPerMiB
	r.RSSGrowthMB = float64(growthKiB(fw.RSSKiB, growthWindowSize)) / kibPerMiB
	r.RSSAfterFirstMB = float64(fw.RSSKiB[growthWindowSize-1]) / kibPerMiB
	r.RSSAfterLastMB = float64(fw.RSSKiB[len(fw.RSSKiB)-1]) / kibPerMiB
	r.RSSPeakMBBare = float64(bw.PeakKiB) / kibPerMiB
	r.RSSGrowthMBBare = float64(growthKiB(bw.RSSKiB, growthWindowSize)) / kibPerMiB

	r.BilledMsP50 = float64(int64(r.WarmP50Ms + 0.999999))
	r.USDPerMillionEvents = lambdaCostPerMillion(r.WarmP50Ms)

	// Every function invocation above published once: the cold starts, the
	// init trace, and the warm run with its unmeasured first event.
	wantPublished := opts.cold + 1 + 1 + opts.warm
	data, err := m.Data(ctx)
	if err != nil {
		return err
	}
	t := data.Topic(topicARN)
	if t == nil || len(t.SentNotifications) != wantPublished {
		got := 0
		if t != nil {
			got = len(t.SentNotifications)
		}
		return fmt.Errorf("moto recorded %d publishes to %s, want %d", got, topicARN, wantPublished)
	}
	for _, n := range t.SentNotifications {
		r.SNSMessageBytesMax = max(r.SNSMessageBytesMax, len(n.Message)+len(n.Subject))
	}
	r.USDPerMillionSNSPublishes = snsCostPerMillion(r.SNSMessageBytesMax)

	r.Meta.Notes = append(r.Meta.Notes,
		fmt.Sprintf("Warm mix: %s in turn (%d events each); the reject-* events are left out because they stop at decoding.",
			strings.Join(names, ", "), opts.warm/len(names)),
		"Durations are aws-lambda-rie's REPORT Duration on this machine against moto on loopback (EC2 through a stand-in that answers ListImagesInRecycleBin, which moto lacks); real EC2 and SNS calls take tens of milliseconds more, and 128 MB gets a fraction of a vCPU.",
		fmt.Sprintf("Memory is MiB from /proc/<bootstrap pid>/status; growth = VmRSS after the last event minus VmRSS after event %d.", growthWindowSize),
		fmt.Sprintf("Load average when the run started: %.2f on %d CPUs.", r.LoadAverage1m, runtime.NumCPU()),
	)
	return nil
}

// loadAverage is the one-minute load average, recorded because other work on
// the machine skews every timing.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func hostDescription() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu)
}

// gitCommit names the commit measured, when the tree is a git checkout.
func gitCommit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
