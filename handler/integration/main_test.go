// Package integration runs the real bootstrap under the real Lambda runtime
// emulator against moto, as deployed code would run against AWS. It needs
// moto_server (make venv), go and make; without them the tests skip, except
// with CI=true, where they fail.
package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

// Timeouts the function runs with here: short, so fault tests are fast, and
// ordered so that each bound is visible on its own.
const (
	enrichTimeout   = time.Second
	publishTimeout  = 2 * time.Second
	functionTimeout = 10 * time.Second
)

var (
	buildOnce sync.Once
	bins      localaws.Binaries
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ami-notify-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binaries builds bootstrap, aws-lambda-rie and toxiproxy once per test
// binary.
func binaries(t *testing.T) localaws.Binaries {
	t.Helper()
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		bins, buildErr = localaws.BuildAll(ctx, binDir)
	})
	if buildErr != nil {
		localaws.SkipOrFatal(t, "build binaries", buildErr)
	}
	return bins
}

// world is moto with the sample events' images and one topic with every
// kind of subscriber.
type world struct {
	moto   *localaws.Moto
	subs   *localaws.Subscribers
	events []localaws.Event
	seed   map[string]localaws.SeedImage
}

func newWorld(t *testing.T) *world {
	t.Helper()
	m := localaws.NewMoto(t, localaws.MotoOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, err := localaws.LoadEvents()
	if err != nil {
		t.Fatalf("load events: %v", err)
	}
	if err := localaws.PrepareImages(ctx, m, events); err != nil {
		t.Fatalf("prepare images: %v", err)
	}
	subs, err := localaws.Subscribe(ctx, m.Config(localaws.DefaultRegion), "ami-notify")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	seed, err := localaws.Seed()
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &world{moto: m, subs: subs, events: events, seed: seed}
}

// event returns the sample event from events/<name>.json.
func (w *world) event(t *testing.T, name string) localaws.Event {
	t.Helper()
	for _, e := range w.events {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no events/%s.json", name)
	return localaws.Event{}
}

// runtimeOptions tune startRuntime.
type runtimeOptions struct {
	topicARN string
	// ec2URL and snsURL override AWS_ENDPOINT_URL per service (toxiproxy).
	ec2URL, snsURL string
	extraEnv       []string
}

// startRuntime runs bootstrap under aws-lambda-rie, pointed at w's moto.
func (w *world) startRuntime(t *testing.T, o runtimeOptions) *localaws.Runtime {
	t.Helper()
	b := binaries(t)
	topic := o.topicARN
	if topic == "" {
		topic = w.subs.TopicARN
	}
	env := append(localaws.FunctionEnv(w.moto.URL, localaws.DefaultRegion),
		"TOPIC_ARN="+topic,
		"ENRICH_TIMEOUT="+enrichTimeout.String(),
		"PUBLISH_TIMEOUT="+publishTimeout.String(),
	)
	if o.ec2URL != "" {
		env = append(env, "AWS_ENDPOINT_URL_EC2="+o.ec2URL)
	}
	if o.snsURL != "" {
		env = append(env, "AWS_ENDPOINT_URL_SNS="+o.snsURL)
	}
	env = append(env, o.extraEnv...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt, err := localaws.StartRuntime(ctx, localaws.RuntimeOptions{
		RIE: b.RIE, Bootstrap: b.Bootstrap, Env: env, FunctionTimeout: functionTimeout,
	})
	if err != nil {
		t.Fatalf("start runtime: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runtime log:\n%s", strings.Join(rt.Logs().Lines(), "\n"))
		}
		if err := rt.Stop(); err != nil {
			t.Errorf("stop runtime: %v", err)
		}
	})
	return rt
}

// invoke sends payload and fails the test if the runtime itself broke
// (no answer, panic, timeout) rather than the function returning an error.
func invoke(t *testing.T, rt *localaws.Runtime, payload []byte) *localaws.Invocation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), functionTimeout+20*time.Second)
	defer cancel()
	inv, err := rt.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if inv.StatusCode != 200 {
		t.Fatalf("invoke: HTTP %d (a panic or a runtime failure): %s", inv.StatusCode, inv.Body)
	}
	for _, l := range inv.Logs {
		if strings.Contains(l, "panic:") || strings.Contains(l, "Task timed out") {
			t.Fatalf("invocation log has %q", l)
		}
	}
	return inv
}

// result is the function's success response.
type result struct {
	Outcome    string `json:"outcome"`
	EventID    string `json:"event_id"`
	ImageID    string `json:"image_id"`
	State      string `json:"state"`
	Region     string `json:"region"`
	Enrichment string `json:"enrichment"`
	SkipRule   string `json:"skip_rule"`
	Deliveries []struct {
		TopicARN  string `json:"topic_arn"`
		MessageID string `json:"message_id"`
	} `json:"deliveries"`
}

func decodeResult(t *testing.T, inv *localaws.Invocation) result {
	t.Helper()
	if inv.ErrorType != "" {
		t.Fatalf("invocation failed: %s: %s", inv.ErrorType, inv.ErrorMessage)
	}
	var r result
	if err := json.Unmarshal(inv.Body, &r); err != nil {
		t.Fatalf("decode result %s: %v", inv.Body, err)
	}
	return r
}

// sent returns everything published to topic so far.
func (w *world) sent(t *testing.T, topic string) []localaws.SentNotification {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := w.moto.Data(ctx)
	if err != nil {
		t.Fatalf("moto data: %v", err)
	}
	tp := d.Topic(topic)
	if tp == nil {
		return nil
	}
	return tp.SentNotifications
}
