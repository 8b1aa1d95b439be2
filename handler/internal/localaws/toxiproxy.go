package localaws

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// Toxiproxy is a running toxiproxy server, driven through its Go client.
type Toxiproxy struct {
	// URL is the server's API address.
	URL    string
	Client *toxiproxy.Client

	proc *process
}

// StartToxiproxy starts the toxiproxy server bin (from BuildAll) on a free
// loopback port.
func StartToxiproxy(ctx context.Context, bin string, output io.Writer) (*Toxiproxy, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	proc, err := startProcess("toxiproxy", []string{bin, "-host", host, "-port", port}, baseEnv(), "", output)
	if err != nil {
		return nil, err
	}
	t := &Toxiproxy{URL: "http://" + addr, Client: toxiproxy.NewClient(addr), proc: proc}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := waitHTTP(wctx, proc, t.URL+"/version"); err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// Stop ends the server and every proxy with it. Safe to call twice.
func (t *Toxiproxy) Stop() error { return t.proc.stop() }

// Proxy creates a proxy to upstream (host:port) on a free loopback port and
// returns it with its URL, for AWS_ENDPOINT_URL_<SERVICE>.
func (t *Toxiproxy) Proxy(name, upstream string) (*toxiproxy.Proxy, string, error) {
	// Port 0: the server picks a free port and reports it back in Listen.
	p, err := t.Client.CreateProxy(name, "127.0.0.1:0", upstream)
	if err != nil {
		return nil, "", fmt.Errorf("create proxy %s to %s: %w", name, upstream, err)
	}
	return p, "http://" + p.Listen, nil
}
