// Command preview prints every channel's rendering of a sample event, so a
// user sees the messages before deploying. It touches no AWS: the image
// details come from a built-in sample image, or none, as chosen by -details.
//
//	go run ./handler/cmd/preview [-details enriched|not_found|unavailable|recycle_bin] events/failed.json
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"github.com/ami-notify/ami-notify/handler/ami"
	"github.com/ami-notify/ami-notify/notify"
)

//go:embed sample-image.json
var sampleImage []byte

func main() {
	details := flag.String("details", "", "image details to assume: enriched, not_found, unavailable or recycle_bin (default: not_found for deregistered events, enriched otherwise)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: preview [-details KIND] EVENT.json\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdout, flag.Arg(0), notify.Enrichment(*details)); err != nil {
		fmt.Fprintln(os.Stderr, "preview:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, path string, details notify.Enrichment) error {
	payload, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	c, err := ami.Decode(payload)
	if err != nil {
		return err
	}
	n, err := assume(c, details)
	if err != nil {
		return err
	}
	r, err := notify.NewRenderer()
	if err != nil {
		return err
	}
	m, err := r.Render(n)
	if err != nil {
		return err
	}
	body, err := m.Structure()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Event %s: %s is %s in %s (details: %s)\n", c.EventID, c.ImageID, c.State, c.Region, n.Enrichment)
	section(w, fmt.Sprintf("Email subject (%d characters)", len(m.Subject)), m.Subject)
	section(w, "Email body", m.Email)
	section(w, fmt.Sprintf("SMS (%d bytes, %d characters)", len(m.SMS), utf8.RuneCountInString(m.SMS)), m.SMS)
	section(w, fmt.Sprintf("APNS / APNS_SANDBOX (%d bytes)", len(m.APNS)), indent(m.APNS))
	section(w, fmt.Sprintf("GCM, FCM HTTP v1 (%d bytes)", len(m.GCM)), indent(m.GCM))
	section(w, "JSON document (sqs, lambda, http, https, email-json, firehose)", indent(m.Document))
	section(w, "default", m.Default)
	fmt.Fprintf(w, "\nSNS message: %d bytes of the 262,144 allowed\n", len(body))
	return nil
}

// assume builds the notification preview shows, with the details kind asked
// for in place of an EC2 lookup.
func assume(c notify.StateChange, details notify.Enrichment) (notify.Notification, error) {
	if details == "" {
		details = notify.Enriched
		if c.State == notify.StateDeregistered {
			details = notify.NotFound
		}
	}
	n := notify.Notification{Change: c, Enrichment: details}
	var img notify.Image
	if err := json.Unmarshal(sampleImage, &img); err != nil {
		return n, fmt.Errorf("sample image: %w", err)
	}
	if c.State == notify.StateFailed {
		img.ImageState = "failed"
	}
	switch details {
	case notify.Enriched:
		n.Image = &img
	case notify.NotFound:
	case notify.Unavailable:
		n.EnrichmentError = "RequestLimitExceeded"
	case notify.InRecycleBin:
		enter := c.Time
		if enter.IsZero() {
			enter = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		}
		n.RecycleBin = &notify.RecycleBin{Name: img.Name, EnterTime: enter, ExitTime: enter.Add(10 * 24 * time.Hour)}
	default:
		return n, fmt.Errorf("-details %q: want enriched, not_found, unavailable or recycle_bin", details)
	}
	return n, nil
}

func section(w io.Writer, title, body string) {
	fmt.Fprintf(w, "\n--- %s ---\n%s\n", title, body)
}

func indent(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return doc + "\n(not valid JSON: " + err.Error() + ")"
	}
	return b.String()
}
