package stack

import (
	"debug/elf"
	"path/filepath"
	"testing"
	"time"
)

// TestSAMBuild runs `sam build` as a user would (it reads samconfig.toml
// and calls the Makefile's build-AmiNotifyFunction) and checks that Lambda's
// arm64 provided.al2023 runtime can start the result: a static aarch64 ELF
// named bootstrap.
func TestSAMBuild(t *testing.T) {
	sam := findTool(t, "sam")
	buildDir := filepath.Join(t.TempDir(), "build")
	// A private cache directory: the test must build, not trust a cache.
	cacheDir := filepath.Join(t.TempDir(), "cache")
	out, err := run(t, repoRoot(t), 10*time.Minute, sam, "build",
		"--template", "template.yaml", "--build-dir", buildDir, "--cache-dir", cacheDir)
	if err != nil {
		t.Fatalf("sam build: %v\n%s", err, out)
	}

	path := filepath.Join(buildDir, "AmiNotifyFunction", "bootstrap")
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v\nsam build said:\n%s", path, err, out)
	}
	defer f.Close()

	if f.Class != elf.ELFCLASS64 {
		t.Errorf("class: got %v, want %v", f.Class, elf.ELFCLASS64)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("machine: got %v, want %v (Architectures: [arm64])", f.Machine, elf.EM_AARCH64)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("type: got %v, want %v", f.Type, elf.ET_EXEC)
	}
	// A dynamically linked binary names an interpreter and carries a dynamic
	// section; provided.al2023 may not have the libraries it wants.
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("program header %v: want a statically linked binary", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Errorf("section .dynamic present: want a statically linked binary")
	}
	if s := f.Section(".interp"); s != nil {
		t.Errorf("section .interp present: want a statically linked binary")
	}
}
