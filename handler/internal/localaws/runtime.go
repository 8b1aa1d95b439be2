package localaws

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RuntimeOptions configure StartRuntime.
type RuntimeOptions struct {
	// RIE and Bootstrap are the paths BuildAll returned.
	RIE       string
	Bootstrap string
	// Env is the function's environment (TOPIC_ARN, FunctionEnv(...),
	// ENRICH_TIMEOUT...), added to a minimal inherited one.
	Env []string
	// FunctionTimeout becomes AWS_LAMBDA_FUNCTION_TIMEOUT (whole seconds);
	// default 30s.
	FunctionTimeout time.Duration
	// Output, when set, receives the runtime's and function's log lines.
	Output io.Writer
}

// Runtime is aws-lambda-rie running one bootstrap. Like a Lambda execution
// environment it takes one invocation at a time; Invoke serialises callers.
type Runtime struct {
	// URL is the runtime's base URL, http://127.0.0.1:PORT.
	URL string

	proc    *process
	http    *http.Client
	timeout time.Duration
	mu      sync.Mutex
}

// StartRuntime starts aws-lambda-rie with the bootstrap on a free loopback
// port. The function itself starts (its init runs) on the first Invoke.
func StartRuntime(ctx context.Context, opts RuntimeOptions) (*Runtime, error) {
	for _, p := range []string{opts.RIE, opts.Bootstrap} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("runtime binary: %w", err)
		}
	}
	timeout := opts.FunctionTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// The Runtime API (between rie and bootstrap) defaults to 127.0.0.1:9001,
	// which would make two runtimes on one machine (parallel test packages,
	// a benchmark) collide: give it a free port too.
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := append(baseEnv(), opts.Env...)
	env = append(env,
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(timeout.Round(time.Second)/time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_NAME=ami-notify",
	)
	argv := []string{opts.RIE, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, opts.Bootstrap}
	proc, err := startProcess("aws-lambda-rie", argv, env, filepath.Dir(opts.Bootstrap), opts.Output)
	if err != nil {
		return nil, err
	}
	r := &Runtime{
		URL:     "http://" + addr,
		proc:    proc,
		timeout: timeout,
		// The runtime answers within the function timeout; the margin
		// covers init and rie's own bookkeeping.
		http: &http.Client{Timeout: timeout + 30*time.Second},
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := waitTCP(wctx, proc, addr); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// Stop ends the runtime and the function with it. Safe to call twice.
func (r *Runtime) Stop() error { return r.proc.stop() }

// PID is the aws-lambda-rie process id.
func (r *Runtime) PID() int { return r.proc.cmd.Process.Pid }

// Exited reports whether aws-lambda-rie has ended.
func (r *Runtime) Exited() bool { return r.proc.exited() }

// Logs holds everything rie and the function wrote: START, END, REPORT,
// INIT REPORT(durationMs: x) and the function's JSON lines.
func (r *Runtime) Logs() *LogLines { return r.proc.logs }

// Invocation is one invoke's outcome as the Lambda API reports it.
type Invocation struct {
	RequestID  string
	StatusCode int
	Body       []byte
	// ErrorType and ErrorMessage are set when the function returned an
	// error (HTTP 200 with {"errorType","errorMessage"}).
	ErrorType    string
	ErrorMessage string
	// Elapsed is the wall time of the HTTP call.
	Elapsed time.Duration
	// Report is the runtime's REPORT line for this request, when it came.
	Report string
	// Logs are the lines logged from START to REPORT of this request.
	Logs []string
}

// Failed reports whether the function returned an error, panicked or timed
// out.
func (i *Invocation) Failed() bool {
	return i.StatusCode != http.StatusOK || i.ErrorType != "" || bytes.Contains(i.Body, []byte("Task timed out"))
}

// Invoke sends payload to the function and waits for its response and the
// runtime's REPORT line.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) (*Invocation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inv := &Invocation{RequestID: requestID()}
	from := r.proc.logs.Len()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		r.URL+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("build invoke request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", inv.RequestID)
	start := time.Now()
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w\n%s", err, tail(r.proc.logs, 20))
	}
	defer resp.Body.Close()
	inv.Body, err = io.ReadAll(resp.Body)
	inv.Elapsed = time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("read invoke response: %w", err)
	}
	inv.StatusCode = resp.StatusCode
	var fnErr struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(inv.Body, &fnErr) == nil {
		inv.ErrorType, inv.ErrorMessage = fnErr.ErrorType, fnErr.ErrorMessage
	}
	// rie prints REPORT right after the response; a short wait is enough,
	// and a missing REPORT is not an invocation error.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	marker := "REPORT RequestId: " + inv.RequestID
	inv.Report, _ = r.proc.logs.WaitFor(wctx, from, func(l string) bool { return strings.HasPrefix(l, marker) })
	inv.Logs = r.proc.logs.Since(from)
	return inv, nil
}

// requestID makes a UUID-shaped id so each invocation's REPORT can be found.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// FunctionPID returns the bootstrap process started by rie (after the first
// Invoke), found among rie's children.
func (r *Runtime) FunctionPID() (int, error) {
	parent := r.PID()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, comm, err := procParent(pid)
		if err != nil {
			continue // the process ended while we looked
		}
		if ppid == parent && comm == "bootstrap" {
			return pid, nil
		}
	}
	return 0, errors.New("localaws: no bootstrap process under aws-lambda-rie (invoke once first)")
}

// procParent reads a process's parent id and command name from
// /proc/PID/stat ("pid (comm) state ppid ...").
func procParent(pid int) (int, string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", err
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return 0, "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[closing+1:])
	if len(fields) < 2 {
		return 0, "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, s[open+1 : closing], err
}

// Memory is a process's resident memory from /proc/PID/status.
type Memory struct {
	RSSKiB  int64 // VmRSS: resident now
	PeakKiB int64 // VmHWM: the peak resident size so far
}

// ProcMemory reads the resident memory of pid.
func ProcMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.RSSKiB
		case "VmHWM":
			dst = &m.PeakKiB
		default:
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("parse %s of %d: %w", k, pid, err)
		}
		*dst = n
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	return m, nil
}

// InitDuration returns the function's init time from the runtime's
// `INIT REPORT(durationMs: x)` line (rie's own "Init Duration" is not the
// init time), once the first invocation has run.
func (r *Runtime) InitDuration() (time.Duration, bool) {
	for _, l := range r.proc.logs.Lines() {
		_, rest, ok := strings.Cut(l, "INIT REPORT(durationMs: ")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ")")
		ms, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil {
			return 0, false
		}
		return time.Duration(ms * float64(time.Millisecond)), true
	}
	return 0, false
}

// ReportDuration parses "Duration: x ms" from a REPORT line.
func ReportDuration(report string) (time.Duration, bool) {
	for _, field := range strings.Split(report, "\t") {
		field = strings.TrimSpace(field)
		v, ok := strings.CutPrefix(field, "Duration: ")
		if !ok {
			continue
		}
		ms, err := strconv.ParseFloat(strings.TrimSuffix(v, " ms"), 64)
		if err != nil {
			return 0, false
		}
		return time.Duration(ms * float64(time.Millisecond)), true
	}
	return 0, false
}
