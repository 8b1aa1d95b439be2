package main

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

// The package the Makefile's function target builds, and the bare Lambda
// built in its place with the same recipe.
const (
	functionPackage = "./handler"
	barePackage     = "./handler/bench/bare"
)

// buildBare builds the bare Lambda with the function target's own recipe
// (read with make -n), the package swapped, so that both binaries always
// share every flag: a change to the target changes both.
func buildBare(ctx context.Context, dir, goarch string) (string, error) {
	cmd, err := localaws.MakeBootstrapCommand(ctx, dir, goarch, true)
	if err != nil {
		return "", err
	}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("make -n build-AmiNotifyFunction: %w", err)
	}
	recipe, err := bareRecipe(string(out))
	if err != nil {
		return "", err
	}
	sh := exec.CommandContext(ctx, "/bin/sh", "-c", recipe)
	sh.Dir, sh.Env = cmd.Dir, cmd.Env
	if out, err := sh.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build bare lambda (%s): %w\n%s", recipe, err, out)
	}
	return filepath.Join(dir, "bootstrap"), nil
}

// bareRecipe turns the function target's recipe into the bare Lambda's. It
// insists on a single `go build` line ending in the function's package, so a
// recipe it does not understand fails loudly instead of building something
// else.
func bareRecipe(makeN string) (string, error) {
	var lines []string
	for _, l := range strings.Split(makeN, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return "", fmt.Errorf("build-AmiNotifyFunction recipe has %d commands, want one go build: %q", len(lines), makeN)
	}
	l := lines[0]
	if !strings.Contains(l, " build ") || !strings.HasSuffix(l, " "+functionPackage) {
		return "", fmt.Errorf("build-AmiNotifyFunction recipe %q is not a go build of %s", l, functionPackage)
	}
	return strings.TrimSuffix(l, functionPackage) + barePackage, nil
}

// checkMachine fails unless path is an ELF executable for machine.
func checkMachine(path string, machine elf.Machine) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if f.Machine != machine {
		return fmt.Errorf("%s is built for %v, want %v", path, f.Machine, machine)
	}
	return nil
}

// zipSize is the size of a Lambda deployment package holding path as
// "bootstrap", deflated as SAM and the AWS CLI do.
func zipSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr, err := zip.FileInfoHeader(fi)
	if err != nil {
		return 0, fmt.Errorf("zip header: %w", err)
	}
	hdr.Name, hdr.Method = "bootstrap", zip.Deflate
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return 0, fmt.Errorf("zip %s: %w", path, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return 0, fmt.Errorf("zip %s: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("zip %s: %w", path, err)
	}
	return int64(buf.Len()), nil
}

// sizes is one binary's size on disk and zipped.
type sizes struct {
	Bytes, Zip int64
}

func measureSizes(path string, machine elf.Machine) (sizes, error) {
	if err := checkMachine(path, machine); err != nil {
		return sizes{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return sizes{}, fmt.Errorf("stat %s: %w", path, err)
	}
	z, err := zipSize(path)
	if err != nil {
		return sizes{}, err
	}
	if fi.Size() == 0 || z == 0 {
		return sizes{}, errors.New("empty binary")
	}
	return sizes{Bytes: fi.Size(), Zip: z}, nil
}
