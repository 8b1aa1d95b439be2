package ami

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ami-notify/ami-notify/notify"
)

// The benchmarks below measure the function's own code, stage by stage and
// whole, on the sample events in events/ with fakes for EC2 and SNS: the
// network is left out so that what remains is what this code costs. make
// bench runs them (go test -run '^$' -bench . -benchmem) and reports
// BenchmarkHandle as the cost of one event.

// sampleEvent is one file of events/ that the function notifies about.
type sampleEvent struct {
	name    string // file name without .json
	payload []byte
	imageID string
	state   string
}

// sampleEvents returns every sample event except the reject-* ones, which
// stop at Decode and would make the average look cheaper than a real event.
func sampleEvents(tb testing.TB) []sampleEvent {
	tb.Helper()
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no sample events found: %v", err)
	}
	var out []sampleEvent
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if strings.HasPrefix(name, "reject-") {
			continue
		}
		payload, err := os.ReadFile(f)
		if err != nil {
			tb.Fatalf("read %s: %v", f, err)
		}
		var ev struct {
			Detail struct {
				ImageID string `json:"ImageId"`
				State   string `json:"State"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(payload, &ev); err != nil {
			tb.Fatalf("parse %s: %v", f, err)
		}
		out = append(out, sampleEvent{name: name, payload: payload, imageID: ev.Detail.ImageID, state: ev.Detail.State})
	}
	return out
}

// benchImage is a realistically rich image: a dozen tags and two volumes,
// which is what a pipeline-built AMI carries and what the merge and the
// templates spend their time on.
func benchImage(id, state string) ec2types.Image {
	tags := []ec2types.Tag{
		{Key: aws.String("Name"), Value: aws.String("web-server")},
		{Key: aws.String("Environment"), Value: aws.String("production")},
		{Key: aws.String("Team"), Value: aws.String("platform")},
		{Key: aws.String("CostCenter"), Value: aws.String("cc-4711")},
		{Key: aws.String("Owner"), Value: aws.String("platform-team@example.com")},
		{Key: aws.String("GitCommit"), Value: aws.String("4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39")},
		{Key: aws.String("BuildNumber"), Value: aws.String("1873")},
		{Key: aws.String("BaseImage"), Value: aws.String("al2023-ami-2023.6.20261120.0-kernel-6.1-arm64")},
		{Key: aws.String("Compliance"), Value: aws.String("cis-level-1")},
		{Key: aws.String("Retention"), Value: aws.String("90d")},
		{Key: aws.String("aws:ec2:source-pipeline"), Value: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/web")},
		{Key: aws.String("Version"), Value: aws.String("2026.11.26")},
	}
	return ec2types.Image{
		ImageId:            aws.String(id),
		Name:               aws.String("web-server-al2023-arm64-2026.11.26-1873"),
		Description:        aws.String("Web server on Amazon Linux 2023, built by EC2 Image Builder from main@4f2a9c1"),
		OwnerId:            aws.String("123456789012"),
		State:              ec2types.ImageState(state),
		Architecture:       ec2types.ArchitectureValuesArm64,
		PlatformDetails:    aws.String("Linux/UNIX"),
		VirtualizationType: ec2types.VirtualizationTypeHvm,
		RootDeviceType:     ec2types.DeviceTypeEbs,
		RootDeviceName:     aws.String("/dev/xvda"),
		BootMode:           ec2types.BootModeValuesUefi,
		EnaSupport:         aws.Bool(true),
		ImdsSupport:        ec2types.ImdsSupportValuesV20,
		CreationDate:       aws.String("2026-11-26T09:10:00.000Z"),
		DeprecationTime:    aws.String("2028-11-26T09:10:00.000Z"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0123456789abcdef0"), VolumeSize: aws.Int32(8), VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(true)}},
			{DeviceName: aws.String("/dev/sdf"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0fedcba9876543210"), VolumeSize: aws.Int32(100), VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(true)}},
		},
		Tags: tags,
	}
}

// benchEC2 answers like a region where every sample image exists, except
// that deregistered images are only in the Recycle Bin. It records nothing,
// so that it adds no allocations of its own to the measurement.
type benchEC2 struct {
	images map[string]ec2types.Image
	bin    map[string]ec2types.ImageRecycleBinInfo
}

func newBenchEC2(events []sampleEvent) *benchEC2 {
	f := &benchEC2{images: map[string]ec2types.Image{}, bin: map[string]ec2types.ImageRecycleBinInfo{}}
	enter := time.Date(2026, 11, 26, 11, 45, 0, 0, time.UTC)
	for _, ev := range events {
		if ev.state == notify.StateDeregistered {
			f.bin[ev.imageID] = ec2types.ImageRecycleBinInfo{
				ImageId:             aws.String(ev.imageID),
				Name:                aws.String("web-server-al2023-arm64-2026.11.26-1873"),
				RecycleBinEnterTime: aws.Time(enter),
				RecycleBinExitTime:  aws.Time(enter.Add(7 * 24 * time.Hour)),
			}
			continue
		}
		f.images[ev.imageID] = benchImage(ev.imageID, ev.state)
	}
	return f
}

func (f *benchEC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	out := &ec2.DescribeImagesOutput{}
	for _, id := range in.ImageIds {
		if im, ok := f.images[id]; ok {
			out.Images = append(out.Images, im)
		}
	}
	return out, nil
}

func (f *benchEC2) ListImagesInRecycleBin(_ context.Context, in *ec2.ListImagesInRecycleBinInput, _ ...func(*ec2.Options)) (*ec2.ListImagesInRecycleBinOutput, error) {
	out := &ec2.ListImagesInRecycleBinOutput{}
	for _, id := range in.ImageIds {
		if b, ok := f.bin[id]; ok {
			out.Images = append(out.Images, b)
		}
	}
	return out, nil
}

// benchSNS accepts every publish with a fixed message id.
type benchSNS struct{}

func (benchSNS) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{MessageId: aws.String("5b1c9a2e-0d3f-4e6a-8b7c-9d0e1f2a3b4c")}, nil
}

// benchFixture is the handler as main wires it, with the fakes in place of
// the AWS clients and the JSON log going nowhere (it is still formatted).
type benchFixture struct {
	events   []sampleEvent
	enricher *EC2Enricher
	renderer *notify.Renderer
	handler  *Handler
}

// newBenchFixture configures the handler as a default deployment does:
// one topic. With onCall, failed and disabled events also go to an on-call
// topic, which costs a second Publish.
func newBenchFixture(tb testing.TB, onCall bool) *benchFixture {
	tb.Helper()
	events := sampleEvents(tb)
	ec2API := newBenchEC2(events)
	renderer, err := notify.NewRenderer()
	if err != nil {
		tb.Fatalf("NewRenderer: %v", err)
	}
	cfg := Config{
		TopicARN:       "arn:aws:sns:us-east-1:123456789012:ami-notify",
		OnCallStates:   []string{notify.StateFailed, notify.StateDisabled},
		EnrichTimeout:  5 * time.Second,
		PublishTimeout: 10 * time.Second,
	}
	if onCall {
		cfg.OnCallTopicARN = "arn:aws:sns:us-east-1:123456789012:ami-notify-oncall"
	}
	enricher := NewEC2Enricher(func(string) EC2API { return ec2API }, cfg.EnrichTimeout)
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return &benchFixture{
		events:   events,
		enricher: enricher,
		renderer: renderer,
		handler:  NewHandler(cfg, enricher, renderer, benchSNS{}, log),
	}
}

// notification decodes and enriches ev, failing the benchmark on error.
func (f *benchFixture) notification(tb testing.TB, ev sampleEvent) notify.Notification {
	tb.Helper()
	c, err := Decode(ev.payload)
	if err != nil {
		tb.Fatalf("Decode %s: %v", ev.name, err)
	}
	n, err := f.enricher.Enrich(context.Background(), c)
	if err != nil {
		tb.Fatalf("Enrich %s: %v", ev.name, err)
	}
	return n
}

// wantEnrichment is what the fakes are set up to give for a state.
func wantEnrichment(state string) notify.Enrichment {
	if state == notify.StateDeregistered {
		return notify.InRecycleBin
	}
	return notify.Enriched
}

// TestBenchFixture keeps the benchmarks honest in every make test run:
// each sample event must take the full path (enriched, rendered, published)
// through the fixture, not stop early at a rejection or a skip.
func TestBenchFixture(t *testing.T) {
	for _, onCall := range []bool{false, true} {
		f := newBenchFixture(t, onCall)
		if len(f.events) < 5 {
			t.Fatalf("got %d sample events, want at least one per state and a copy", len(f.events))
		}
		invoke := lambda.NewHandler(f.handler.Handle)
		for _, ev := range f.events {
			name := ev.name
			if onCall {
				name += "/oncall"
			}
			t.Run(name, func(t *testing.T) {
				out, err := invoke.Invoke(context.Background(), ev.payload)
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				var res Result
				if err := json.Unmarshal(out, &res); err != nil {
					t.Fatalf("response %s is not a Result: %v", out, err)
				}
				want := wantEnrichment(ev.state)
				wantDeliveries := 1
				if onCall && (ev.state == notify.StateFailed || ev.state == notify.StateDisabled) {
					wantDeliveries = 2
				}
				if res.Outcome != OutcomePublished || res.Enrichment != string(want) || len(res.Deliveries) != wantDeliveries {
					t.Errorf("got %+v, want published to %d topics with enrichment %s", res, wantDeliveries, want)
				}
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, ev := range sampleEvents(b) {
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(ev.payload); err != nil {
					b.Fatalf("Decode: %v", err)
				}
			}
		})
	}
}

// BenchmarkImageDetails is the merge proper: the SDK's image into notify's.
func BenchmarkImageDetails(b *testing.B) {
	im := benchImage("ami-0a1b2c3d4e5f60718", "available")
	b.ReportAllocs()
	for b.Loop() {
		if d := imageDetails(&im); len(d.Tags) != len(im.Tags) {
			b.Fatalf("got %d tags, want %d", len(d.Tags), len(im.Tags))
		}
	}
}

// BenchmarkEnrich is the whole notification build around the merge: the
// per-region client lookup, the timeout context, both fake EC2 calls where
// the state needs them, and imageDetails.
func BenchmarkEnrich(b *testing.B) {
	f := newBenchFixture(b, false)
	for _, ev := range f.events {
		c, err := Decode(ev.payload)
		if err != nil {
			b.Fatalf("Decode %s: %v", ev.name, err)
		}
		want := wantEnrichment(ev.state)
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := f.enricher.Enrich(context.Background(), c)
				if err != nil || n.Enrichment != want {
					b.Fatalf("got %s, %v, want %s", n.Enrichment, err, want)
				}
			}
		})
	}
}

// BenchmarkRenderEvent renders every channel of each sample event's
// notification, as the handler does (notify has its own render benchmarks
// on its test cases).
func BenchmarkRenderEvent(b *testing.B) {
	f := newBenchFixture(b, false)
	for _, ev := range f.events {
		n := f.notification(b, ev)
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.renderer.Render(n); err != nil {
					b.Fatalf("Render: %v", err)
				}
			}
		})
	}
}

// BenchmarkPublishMessage is the marshalling of the SNS message
// (MessageStructure=json body, attributes, size check) up to the fake
// Publish call.
func BenchmarkPublishMessage(b *testing.B) {
	f := newBenchFixture(b, false)
	for _, ev := range f.events {
		n := f.notification(b, ev)
		msg, err := f.renderer.Render(n)
		if err != nil {
			b.Fatalf("Render %s: %v", ev.name, err)
		}
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := notify.Publish(context.Background(), benchSNS{}, []string{f.handler.cfg.TopicARN}, n, msg); err != nil {
					b.Fatalf("Publish: %v", err)
				}
			}
		})
	}
}

// BenchmarkHandle is one event end to end in process, as the Lambda
// runtime drives it: the payload through the runtime's JSON path, decode,
// enrich, skip rules, render, publish (twice for states routed on call),
// the summary log line, and the response encoded back to JSON.
func BenchmarkHandle(b *testing.B) {
	f := newBenchFixture(b, false)
	invoke := lambda.NewHandler(f.handler.Handle)
	for _, ev := range f.events {
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := invoke.Invoke(context.Background(), ev.payload); err != nil {
					b.Fatalf("Invoke: %v", err)
				}
			}
		})
	}
}

// BenchmarkHandleOnCall is BenchmarkHandle for a failed event with an
// on-call topic configured: the same message published twice.
func BenchmarkHandleOnCall(b *testing.B) {
	f := newBenchFixture(b, true)
	invoke := lambda.NewHandler(f.handler.Handle)
	for _, ev := range f.events {
		if ev.state != notify.StateFailed {
			continue
		}
		b.Run(ev.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := invoke.Invoke(context.Background(), ev.payload); err != nil {
					b.Fatalf("Invoke: %v", err)
				}
			}
		})
	}
}
