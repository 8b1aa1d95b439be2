// Package stack checks the SAM application (template.yaml, samconfig.toml)
// with the real tools: the SAM CLI, cfn-lint, aws-sam-translator and moto.
// The tools come from the project virtualenv (make venv); `make test` puts
// .venv/bin first on PATH.
package stack

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testRegion is the region the offline tools are told to use; SAM CLI and
// cfn-lint need one even when they call no AWS.
const testRegion = "us-east-1"

// repoRoot is the directory holding go.mod, template.yaml and the Makefile.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// missingTool fails the test in CI, where every tool must be installed,
// and skips it elsewhere so that `go test ./...` works before `make venv`.
func missingTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (run `make venv`, or `make test`)", args...)
}

// findTool returns the path of a command from PATH or, failing that, from
// the project virtualenv.
func findTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join(repoRoot(t), ".venv", "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	missingTool(t, "%s not found on PATH or in .venv/bin", name)
	return ""
}

// venvPython returns a Python interpreter that can import aws-sam-translator
// and the SAM CLI's YAML reader.
func venvPython(t *testing.T) string {
	t.Helper()
	candidates := []string{filepath.Join(repoRoot(t), ".venv", "bin", "python")}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if exec.Command(p, "-c", "import samtranslator, samcli.yamlhelper").Run() == nil {
			return p
		}
	}
	missingTool(t, "no Python with aws-sam-translator and aws-sam-cli (tried %s)", strings.Join(candidates, ", "))
	return ""
}

// toolEnv is the environment for the SAM CLI and cfn-lint: a region, no
// telemetry, and no chance of reaching a real AWS account by accident.
func toolEnv() []string {
	env := os.Environ()
	return append(env,
		"AWS_DEFAULT_REGION="+testRegion,
		"AWS_REGION="+testRegion,
		"SAM_CLI_TELEMETRY=0",
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=",
	)
}

// command is name with args, run in dir in its own process group so that
// a timeout stops everything it started (sam build runs make, which runs go).
func command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = toolEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs a command and returns its combined output.
func run(t *testing.T, dir string, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := command(ctx, dir, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// runStdout runs a command and returns its standard output, to be parsed,
// and its standard error, to explain a failure.
func runStdout(t *testing.T, dir string, timeout time.Duration, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := command(ctx, dir, name, args...)
	var o, e bytes.Buffer
	cmd.Stdout = &o
	cmd.Stderr = &e
	err = cmd.Run()
	return o.String(), e.String(), err
}
