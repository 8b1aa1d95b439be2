package localaws

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// seedImages is the image list moto loads into every region through
// MOTO_AMIS_PATH. Its ids match those in events/ (the events are the source
// of truth); Seed decodes it for tests that compare messages with it.
//
//go:embed testdata/amis.json
var seedImages []byte

// MotoOptions configure StartMoto. The zero value is ready to use.
type MotoOptions struct {
	// AMIs is the MOTO_AMIS_PATH content; nil means the embedded seed.
	AMIs []byte
	// Output, when set, receives moto's own log (one line per request).
	Output io.Writer
	// StartTimeout bounds the wait for moto to answer; default 30s.
	StartTimeout time.Duration
}

// Moto is a running moto_server.
type Moto struct {
	// URL is moto's base URL, http://127.0.0.1:PORT, for AWS_ENDPOINT_URL.
	URL string
	// Addr is the host:port part of URL (for toxiproxy upstreams).
	Addr string

	proc *process
	dir  string
	http *http.Client
}

// StartMoto starts moto_server on a free loopback port with the seeded images
// and moto's ~1,200 built-in images turned off, and waits until it answers.
func StartMoto(ctx context.Context, opts MotoOptions) (*Moto, error) {
	bin, err := lookTool("moto_server")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "localaws-moto-")
	if err != nil {
		return nil, fmt.Errorf("moto temp dir: %w", err)
	}
	amis := opts.AMIs
	if amis == nil {
		amis = seedImages
	}
	amisPath := filepath.Join(dir, "amis.json")
	if err := os.WriteFile(amisPath, amis, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write moto seed: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	env := append(baseEnv(),
		"MOTO_AMIS_PATH="+amisPath,
		"MOTO_EC2_LOAD_DEFAULT_AMIS=false",
		// Python buffers a piped stdout; unbuffered keeps the log in step.
		"PYTHONUNBUFFERED=1",
	)
	proc, err := startProcess("moto_server", []string{bin, "-H", host, "-p", port}, env, dir, opts.Output)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m := &Moto{
		URL:  "http://" + addr,
		Addr: addr,
		proc: proc,
		dir:  dir,
		http: &http.Client{Timeout: 30 * time.Second},
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := waitHTTP(wctx, proc, m.URL+"/moto-api/data.json"); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// Stop ends moto and removes its temporary files. Safe to call twice.
func (m *Moto) Stop() error {
	err := m.proc.stop()
	if rerr := os.RemoveAll(m.dir); rerr != nil && err == nil {
		err = fmt.Errorf("remove moto temp dir: %w", rerr)
	}
	return err
}

// Logs returns moto's output so far.
func (m *Moto) Logs() *LogLines { return m.proc.logs }

// Reset clears every resource. Seeded images come back (moto reloads
// MOTO_AMIS_PATH); anything registered per region must be registered again.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("build moto reset: %w", err)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("moto reset: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("moto reset: HTTP %d: %s", resp.StatusCode, body)
	}
	return nil
}

// Data fetches /moto-api/data.json: moto's view of every resource, including
// what SNS recorded for each topic.
func (m *Moto) Data(ctx context.Context) (*MotoData, error) {
	raw, err := m.DataRaw(ctx)
	if err != nil {
		return nil, err
	}
	d := &MotoData{Raw: raw}
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("decode moto data.json: %w", err)
	}
	return d, nil
}

// DataRaw fetches /moto-api/data.json undecoded.
func (m *Moto) DataRaw(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/data.json", nil)
	if err != nil {
		return nil, fmt.Errorf("build moto data request: %w", err)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("moto data.json: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read moto data.json: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("moto data.json: HTTP %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// MotoData is the part of /moto-api/data.json the harness reads.
type MotoData struct {
	SNS struct {
		Topics           []SNSTopic            `json:"Topic"`
		Subscriptions    []SNSSubscription     `json:"Subscription"`
		PlatformEndpoint []SNSPlatformEndpoint `json:"PlatformEndpoint"`
		SMS              []json.RawMessage     `json:"SMS"`
	} `json:"sns"`
	// Raw is the whole document, for anything not decoded above.
	Raw json.RawMessage `json:"-"`
}

// Topic returns the topic with that ARN, or nil.
func (d *MotoData) Topic(arn string) *SNSTopic {
	for i := range d.SNS.Topics {
		if d.SNS.Topics[i].ARN == arn {
			return &d.SNS.Topics[i]
		}
	}
	return nil
}

// SentCount is the number of messages published to all topics.
func (d *MotoData) SentCount() int {
	n := 0
	for _, t := range d.SNS.Topics {
		n += len(t.SentNotifications)
	}
	return n
}

// SNSTopic is one topic as moto stores it.
type SNSTopic struct {
	ARN               string             `json:"arn"`
	Name              string             `json:"name"`
	SentNotifications []SentNotification `json:"sent_notifications"`
}

// SNSSubscription is one subscription as moto stores it.
type SNSSubscription struct {
	ARN        string         `json:"arn"`
	TopicARN   string         `json:"topic_arn"`
	Protocol   string         `json:"protocol"`
	Endpoint   string         `json:"endpoint"`
	Attributes map[string]any `json:"attributes"`
}

// SNSPlatformEndpoint is one push endpoint; Messages holds only what was
// published to the endpoint directly, not through a topic.
type SNSPlatformEndpoint struct {
	ARN      string            `json:"arn"`
	Token    string            `json:"token"`
	Messages map[string]string `json:"messages"`
}

// SentNotification is one Publish to a topic, exactly as the function sent
// it. moto stores it as [message_id, message, subject, attributes, group_id].
type SentNotification struct {
	MessageID  string
	Message    string
	Subject    string
	Attributes map[string]any
	GroupID    string
}

// UnmarshalJSON decodes moto's array form.
func (n *SentNotification) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("sent notification: %w", err)
	}
	if len(parts) < 3 {
		return fmt.Errorf("sent notification: %d fields, want at least 3", len(parts))
	}
	fields := []any{&n.MessageID, &n.Message, &n.Subject, &n.Attributes, &n.GroupID}
	for i := range min(len(parts), len(fields)) {
		if string(parts[i]) == "null" {
			continue
		}
		if err := json.Unmarshal(parts[i], fields[i]); err != nil {
			return fmt.Errorf("sent notification field %d: %w", i, err)
		}
	}
	return nil
}

// Structure decodes a MessageStructure=json message into its per-protocol
// strings (default, email, sms, APNS, GCM, sqs...).
func (n SentNotification) Structure() (map[string]string, error) {
	var s map[string]string
	if err := json.Unmarshal([]byte(n.Message), &s); err != nil {
		return nil, fmt.Errorf("message %s is not a JSON structure of strings: %w", n.MessageID, err)
	}
	return s, nil
}
