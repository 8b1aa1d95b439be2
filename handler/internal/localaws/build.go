package localaws

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Packages of the pinned tools (the `tool` lines in go.mod), so building
// them needs nothing but the module cache.
const (
	RIEPackage       = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	ToxiproxyPackage = "github.com/Shopify/toxiproxy/v2/cmd/server"
)

// Binaries are the executables the harness runs.
type Binaries struct {
	Bootstrap string
	RIE       string
	Toxiproxy string
}

// BuildAll builds bootstrap (for the host's architecture), aws-lambda-rie and
// the toxiproxy server into dir.
func BuildAll(ctx context.Context, dir string) (Binaries, error) {
	var b Binaries
	var err error
	if b.Bootstrap, err = BuildBootstrap(ctx, dir); err != nil {
		return b, err
	}
	if b.RIE, err = BuildTool(ctx, dir, RIEPackage, "aws-lambda-rie"); err != nil {
		return b, err
	}
	if b.Toxiproxy, err = BuildTool(ctx, dir, ToxiproxyPackage, "toxiproxy-server"); err != nil {
		return b, err
	}
	return b, nil
}

// BuildBootstrap builds the function with the Makefile target SAM uses, so
// the binary under test is built exactly as the deployed one, except for the
// architecture: it must run on this host.
func BuildBootstrap(ctx context.Context, dir string) (string, error) {
	return BuildBootstrapArch(ctx, dir, runtime.GOARCH)
}

// BuildBootstrapArch builds the function for goarch into dir/bootstrap with
// the Makefile target SAM uses; an empty goarch keeps the target's default
// (arm64), exactly as `sam build` does.
func BuildBootstrapArch(ctx context.Context, dir, goarch string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("bootstrap dir: %w", err)
	}
	cmd, err := MakeBootstrapCommand(ctx, dir, goarch, false)
	if err != nil {
		return "", err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build-AmiNotifyFunction: %w\n%s", err, out)
	}
	return filepath.Join(dir, "bootstrap"), nil
}

// MakeBootstrapCommand returns `make build-AmiNotifyFunction` into dir (an
// absolute path) for goarch, run in the module root; with dryRun, `make -n`,
// which prints the recipe instead. GOOS and GOARCH are taken out of its
// environment: make would read them as variables, and they would override
// the target's own arm64 default.
func MakeBootstrapCommand(ctx context.Context, dir, goarch string, dryRun bool) (*exec.Cmd, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	makeBin, err := exec.LookPath("make")
	if err != nil {
		return nil, fmt.Errorf("%w: make: %v", ErrToolMissing, err)
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("bootstrap dir %q is not absolute", dir)
	}
	args := []string{"--no-print-directory"}
	if dryRun {
		args = append(args, "-n")
	}
	args = append(args, "build-AmiNotifyFunction", "ARTIFACTS_DIR="+dir)
	if goarch != "" {
		args = append(args, "GOARCH="+goarch)
	}
	cmd := exec.CommandContext(ctx, makeBin, args...)
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "GOOS" && k != "GOARCH" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd, nil
}

// BuildTool builds the Go command pkg (a tool pinned in go.mod) into
// dir/name.
func BuildTool(ctx context.Context, dir, pkg, name string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("%w: go: %v", ErrToolMissing, err)
	}
	out := filepath.Join(dir, name)
	if !filepath.IsAbs(out) {
		if out, err = filepath.Abs(out); err != nil {
			return "", fmt.Errorf("tool path: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}
