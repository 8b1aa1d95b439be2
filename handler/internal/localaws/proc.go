package localaws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrToolMissing is returned when a program the harness needs (moto_server,
// go, make) cannot be found. Tests skip on it, except in CI.
var ErrToolMissing = errors.New("localaws: tool missing")

// stopGrace is how long a process group gets between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// freeAddr returns a loopback address with a port nobody listens on right
// now. The port is released before it is used, so a race with another
// process is possible but unlikely on a test machine.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("release port %s: %w", addr, err)
	}
	return addr, nil
}

// ModuleRoot returns the directory holding the module's go.mod, searched
// upwards from the working directory, so tests (run in their package's
// directory) and the demo (run from the root) find the same files.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("localaws: no go.mod above the working directory")
		}
		dir = parent
	}
}

// lookTool finds name on PATH, then in the project virtualenv, which is where
// `make venv` puts moto_server even when .venv/bin is not on PATH.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if root, err := ModuleRoot(); err == nil {
		p := filepath.Join(root, ".venv", "bin", name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s is not on PATH nor in .venv/bin (run `make venv`)", ErrToolMissing, name)
}

// LogLines collects a process's output line by line, keeps the lines for
// inspection and copies them to an optional writer. Waiters are woken on
// every new line.
type LogLines struct {
	mu      sync.Mutex
	lines   []string
	partial []byte
	echo    io.Writer
	changed chan struct{}
}

func newLogLines(echo io.Writer) *LogLines {
	return &LogLines{echo: echo, changed: make(chan struct{})}
}

// maxLogLines bounds memory over long runs (benchmarks send thousands of
// events); the oldest lines go first.
const maxLogLines = 200000

// Write implements io.Writer.
func (l *LogLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.echo != nil {
		// The echo is best effort: a closed terminal must not stop the process.
		_, _ = l.echo.Write(p)
	}
	l.partial = append(l.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, strings.TrimRight(string(l.partial[:i]), "\r"))
		l.partial = l.partial[i+1:]
		added = true
	}
	if len(l.lines) > maxLogLines {
		l.lines = append([]string(nil), l.lines[len(l.lines)-maxLogLines/2:]...)
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// Lines returns a copy of the complete lines seen so far.
func (l *LogLines) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Len is the number of complete lines seen so far; pass it to Since to read
// only what a later action logged.
func (l *LogLines) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// Since returns the lines after the first n.
func (l *LogLines) Since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > len(l.lines) {
		return nil
	}
	return append([]string(nil), l.lines[n:]...)
}

// WaitFor blocks until a line after the first `from` lines satisfies match,
// and returns it.
func (l *LogLines) WaitFor(ctx context.Context, from int, match func(string) bool) (string, error) {
	for {
		l.mu.Lock()
		for i := from; i < len(l.lines); i++ {
			if match(l.lines[i]) {
				line := l.lines[i]
				l.mu.Unlock()
				return line, nil
			}
		}
		if len(l.lines) > from {
			from = len(l.lines)
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for log line: %w", ctx.Err())
		case <-changed:
		}
	}
}

// process is a started command in its own process group.
type process struct {
	name string
	cmd  *exec.Cmd
	logs *LogLines
	done chan struct{}
	err  error // set before done is closed

	stopOnce sync.Once
}

// startProcess starts argv with env added to a minimal inherited environment.
// Output (stdout and stderr together) goes to a LogLines that echoes to echo.
func startProcess(name string, argv []string, env []string, dir string, echo io.Writer) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	logs := newLogLines(echo)
	cmd.Stdout = logs
	cmd.Stderr = logs
	// Own process group, so Stop reaches grandchildren (rie's bootstrap);
	// Pdeathsig kills the direct child if this process dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop terminates the whole process group: SIGTERM, then SIGKILL after a
// grace period. It is safe to call more than once.
func (p *process) stop() error {
	var err error
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		if !p.exited() {
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(stopGrace):
			}
		}
		// Kill the group even when the leader has exited: children (rie's
		// bootstrap) may have outlived it.
		if kerr := syscall.Kill(-pgid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			err = fmt.Errorf("kill %s process group %d: %w", p.name, pgid, kerr)
		}
		<-p.done
	})
	return err
}

// waitHTTP polls url until it answers 2xx, the process exits, or ctx ends.
func waitHTTP(ctx context.Context, p *process, url string) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("build request for %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w\n%s", p.name, url, ctx.Err(), tail(p.logs, 20))
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", p.name, p.err, tail(p.logs, 20))
		case <-tick.C:
		}
	}
}

// waitTCP polls addr until it accepts a connection.
func waitTCP(ctx context.Context, p *process, addr string) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var d net.Dialer
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s: %w\n%s", p.name, addr, ctx.Err(), tail(p.logs, 20))
		case <-p.done:
			return fmt.Errorf("%s exited before it listened (%v):\n%s", p.name, p.err, tail(p.logs, 20))
		case <-tick.C:
		}
	}
}

// tail formats the last n log lines for an error message.
func tail(l *LogLines, n int) string {
	lines := l.Lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// baseEnv is the environment every started process gets: enough to run
// (PATH, HOME, temp dir, locale) and nothing that could point it at real AWS.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "HOME", k == "TMPDIR", k == "LANG", k == "LC_ALL", k == "GOCACHE", k == "GOPATH", k == "GOMODCACHE", k == "GOFLAGS", k == "GOPROXY", k == "GOTOOLCHAIN":
			env = append(env, kv)
		}
	}
	return env
}
