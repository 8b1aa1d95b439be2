// Command demo runs every sample event in events/ through the real
// bootstrap, under the real Lambda runtime emulator, against a local AWS
// (moto), and prints what each kind of subscriber receives. It exits 0 when
// every event did what it should (rejected events rejected, the others
// published and delivered), 1 otherwise, and stops everything it started,
// also on Ctrl-C.
//
// Run it with `make demo`, which first creates the virtualenv with moto.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

func main() {
	verbose := flag.Bool("v", false, "also print the runtime's and the function's log lines")
	flag.Parse()
	// Ctrl-C, a kill, a closed terminal or a closed pipe (`make demo | head`)
	// all end the run the same way: through the deferred Stops, so nothing
	// is left running. Without SIGPIPE here, a write to a closed pipe would
	// kill the demo on the spot.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	ok, err := run(ctx, os.Stdout, *verbose)
	stop()
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "demo: interrupted; everything it started is stopped")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	case !ok:
		os.Exit(1)
	}
}

// outcome is one event's line in the closing table.
type outcome struct {
	event, want, got string
	ok               bool
}

// run sets up the local AWS and the runtime, sends every event and prints
// what arrived. It reports whether every event went as expected; err is for
// failures of the demo itself.
func run(ctx context.Context, out io.Writer, verbose bool) (bool, error) {
	dir, err := os.MkdirTemp("", "ami-notify-demo-")
	if err != nil {
		return false, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	step(out, "Building bootstrap (make build-AmiNotifyFunction, host architecture) and aws-lambda-rie")
	bootstrap, err := localaws.BuildBootstrap(ctx, dir)
	if err != nil {
		return false, err
	}
	rie, err := localaws.BuildTool(ctx, dir, localaws.RIEPackage, "aws-lambda-rie")
	if err != nil {
		return false, err
	}

	step(out, "Starting moto (local EC2, SNS, SQS) with the sample images")
	moto, err := localaws.StartMoto(ctx, localaws.MotoOptions{})
	if err != nil {
		if errors.Is(err, localaws.ErrToolMissing) {
			return false, fmt.Errorf("%w\nrun `make demo`, which creates .venv with moto first", err)
		}
		return false, err
	}
	defer moto.Stop()

	events, err := localaws.LoadEvents()
	if err != nil {
		return false, err
	}
	if err := localaws.PrepareImages(ctx, moto, events); err != nil {
		return false, err
	}
	subs, err := localaws.Subscribe(ctx, moto.Config(localaws.DefaultRegion), "ami-notify")
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "   topic %s\n   subscribers: email %s, SMS %s, push endpoint (FCM), SQS queue, SQS queue with raw delivery\n",
		subs.TopicARN, subs.Email, subs.Phone)

	step(out, "Starting the function under aws-lambda-rie")
	var logw io.Writer
	if verbose {
		logw = prefixWriter{w: out, prefix: "   | "}
	}
	rt, err := localaws.StartRuntime(ctx, localaws.RuntimeOptions{
		RIE:       rie,
		Bootstrap: bootstrap,
		Env: append(localaws.FunctionEnv(moto.URL, localaws.DefaultRegion),
			"TOPIC_ARN="+subs.TopicARN),
		FunctionTimeout: 30 * time.Second,
		Output:          logw,
	})
	if err != nil {
		return false, err
	}
	defer rt.Stop()

	var results []outcome
	for _, e := range events {
		res, err := demoEvent(ctx, out, moto, subs, rt, e)
		if err != nil {
			return false, err
		}
		results = append(results, res)
	}

	allOK := true
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tEXPECTED\tGOT\t")
	for _, r := range results {
		mark := "ok"
		if !r.ok {
			mark, allOK = "UNEXPECTED", false
		}
		fmt.Fprintf(tw, "events/%s.json\t%s\t%s\t%s\n", r.event, r.want, r.got, mark)
	}
	if err := tw.Flush(); err != nil {
		return false, fmt.Errorf("print summary: %w", err)
	}
	if allOK {
		fmt.Fprintf(out, "\nAll %d events went as expected.\n", len(results))
	} else {
		fmt.Fprintln(out, "\nSome events did not go as expected (see above).")
	}
	return allOK, nil
}

// demoEvent invokes the function with one event and prints what every
// subscriber got.
func demoEvent(ctx context.Context, out io.Writer, moto *localaws.Moto, subs *localaws.Subscribers,
	rt *localaws.Runtime, e localaws.Event) (outcome, error) {
	res := outcome{event: e.Name, want: "published"}
	if e.WantRejected() {
		res.want = "rejected"
	}
	fmt.Fprintf(out, "\n%s\n", strings.Repeat("=", 78))
	what := e.Detail.State + " " + e.Detail.ImageID + " in " + e.Region
	switch {
	case e.Source != "aws.ec2" || e.DetailType != "EC2 AMI State Change":
		what = fmt.Sprintf("a %q event, which must be rejected", e.DetailType)
	case e.WantRejected():
		what = "an AMI event without ImageId, which must be rejected"
	}
	fmt.Fprintf(out, "events/%s.json: %s\n%s\n", e.Name, what, strings.Repeat("=", 78))

	inv, err := rt.Invoke(ctx, e.Payload)
	if err != nil {
		return res, err
	}
	if inv.StatusCode != 200 {
		res.got = fmt.Sprintf("HTTP %d", inv.StatusCode)
		fmt.Fprintf(out, "The runtime answered HTTP %d: %s\n", inv.StatusCode, inv.Body)
		return res, nil
	}
	if inv.ErrorType != "" {
		res.got = "error " + inv.ErrorType
		if inv.ErrorType == "RejectedError" {
			res.got = "rejected"
		}
		res.ok = res.got == res.want
		fmt.Fprintf(out, "Function returned %s: %s\nNothing was published.\n", inv.ErrorType, inv.ErrorMessage)
		return res, nil
	}
	var r struct {
		Outcome    string `json:"outcome"`
		Enrichment string `json:"enrichment"`
		Deliveries []struct {
			TopicARN  string `json:"topic_arn"`
			MessageID string `json:"message_id"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal(inv.Body, &r); err != nil {
		return res, fmt.Errorf("decode response %s: %w", inv.Body, err)
	}
	res.got = r.Outcome
	d, _ := localaws.ReportDuration(inv.Report)
	fmt.Fprintf(out, "Function: %s, image details %s, %.1f ms in the runtime\n", r.Outcome, r.Enrichment, float64(d)/float64(time.Millisecond))
	if r.Outcome != "published" || len(r.Deliveries) == 0 {
		fmt.Fprintf(out, "Response: %s\n", inv.Body)
		return res, nil
	}
	fmt.Fprintf(out, "SNS message %s on %s\n", r.Deliveries[0].MessageID, r.Deliveries[0].TopicARN)

	// moto delivers nothing to email, SMS or push subscribers: what they
	// would get is the message's key for their protocol, as SNS picks it.
	data, err := moto.Data(ctx)
	if err != nil {
		return res, err
	}
	var sent *localaws.SentNotification
	if t := data.Topic(subs.TopicARN); t != nil {
		for i := range t.SentNotifications {
			if t.SentNotifications[i].MessageID == r.Deliveries[0].MessageID {
				sent = &t.SentNotifications[i]
			}
		}
	}
	if sent == nil {
		res.got = "published, but SNS has no record"
		return res, nil
	}
	structure, err := sent.Structure()
	if err != nil {
		return res, err
	}
	section(out, "Email to "+subs.Email, "Subject: "+sent.Subject+"\n\n"+structure["email"])
	section(out, "SMS to "+subs.Phone, fmt.Sprintf("%s\n(%d characters)", structure["sms"], len([]rune(structure["sms"]))))
	section(out, "Push, FCM (GCM key)", pretty(structure["GCM"]))
	section(out, "Push, APNs (APNS key)", pretty(structure["APNS"]))

	envelope, err := subs.ReceiveOne(ctx, subs.QueueURL, 5*time.Second)
	if err != nil {
		res.got = "published, but the SQS queue got nothing"
		fmt.Fprintln(out, err)
		return res, nil
	}
	env, err := localaws.DecodeEnvelope(envelope)
	if err != nil {
		return res, err
	}
	section(out, "SQS queue (SNS envelope)", fmt.Sprintf("Type: %s\nMessageId: %s\nSubject: %s\nMessage: the JSON document below, as a string",
		env.Type, env.MessageID, env.Subject))
	raw, err := subs.ReceiveOne(ctx, subs.RawQueueURL, 5*time.Second)
	if err != nil {
		res.got = "published, but the raw SQS queue got nothing"
		fmt.Fprintln(out, err)
		return res, nil
	}
	section(out, "SQS queue with raw delivery (the JSON document)", pretty(raw))
	res.ok = res.got == res.want && raw == env.Message
	return res, nil
}

func step(out io.Writer, msg string) { fmt.Fprintf(out, "== %s\n", msg) }

// section prints a titled, indented block.
func section(out io.Writer, title, body string) {
	fmt.Fprintf(out, "\n--- %s ---\n", title)
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintln(out, "  "+l)
	}
}

// pretty indents a JSON document, or returns it as it is if it is not JSON.
func pretty(s string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

// prefixWriter prefixes every line of the runtime's log in -v mode.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if _, err := io.WriteString(p.w, p.prefix+l); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}
