package stack

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// The SAM CLI prints this hint only when it validated without cfn-lint.
const basicValidationHint = `please run with "--lint" option`

func TestSAMValidate(t *testing.T) {
	sam := findTool(t, "sam")
	root := repoRoot(t)
	tests := []struct {
		name string
		args []string
	}{
		// The flag as CI and `make validate` give it.
		{name: "lint flag", args: []string{"validate", "--lint", "--template", "template.yaml"}},
		// No flag: lint = true must come from samconfig.toml.
		{name: "samconfig", args: []string{"validate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, root, 5*time.Minute, sam, tt.args...)
			if err != nil {
				t.Fatalf("sam %s: %v\n%s", strings.Join(tt.args, " "), err, out)
			}
			if !strings.Contains(out, "is a valid SAM Template") {
				t.Errorf("sam %s: got %q, want it to say the template is valid", strings.Join(tt.args, " "), out)
			}
			if strings.Contains(out, basicValidationHint) {
				t.Errorf("sam %s validated without cfn-lint: %q", strings.Join(tt.args, " "), out)
			}
		})
	}
}

func TestCFNLint(t *testing.T) {
	cfnLint := findTool(t, "cfn-lint")
	// cfn-lint exits non-zero for errors (2) and warnings (4); informational
	// findings (8) would fail this test too, and there are none today.
	out, err := run(t, repoRoot(t), 5*time.Minute, cfnLint, "--", "template.yaml")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// samConfig is the part of samconfig.toml the issue prescribes.
type samConfig struct {
	Version float64 `toml:"version"`
	Default struct {
		Build struct {
			Parameters struct {
				Cached        bool `toml:"cached"`
				Parallel      bool `toml:"parallel"`
				BuildInSource bool `toml:"build_in_source"`
			} `toml:"parameters"`
		} `toml:"build"`
		Deploy struct {
			Parameters struct {
				StackName        string `toml:"stack_name"`
				ResolveS3        bool   `toml:"resolve_s3"`
				Capabilities     string `toml:"capabilities"`
				ConfirmChangeset bool   `toml:"confirm_changeset"`
			} `toml:"parameters"`
		} `toml:"deploy"`
		Validate struct {
			Parameters struct {
				Lint bool `toml:"lint"`
			} `toml:"parameters"`
		} `toml:"validate"`
		LocalInvoke struct {
			Parameters struct {
				EnvVars string `toml:"env_vars"`
			} `toml:"parameters"`
		} `toml:"local_invoke"`
	} `toml:"default"`
}

func TestSAMConfig(t *testing.T) {
	root := repoRoot(t)
	var c samConfig
	if _, err := toml.DecodeFile(filepath.Join(root, "samconfig.toml"), &c); err != nil {
		t.Fatalf("read samconfig.toml: %v", err)
	}
	d := c.Default
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", c.Version, 0.1},
		{"build.cached", d.Build.Parameters.Cached, true},
		{"build.parallel", d.Build.Parameters.Parallel, true},
		{"build.build_in_source", d.Build.Parameters.BuildInSource, true},
		{"deploy.stack_name", d.Deploy.Parameters.StackName, "ami-notify"},
		{"deploy.resolve_s3", d.Deploy.Parameters.ResolveS3, true},
		{"deploy.capabilities", d.Deploy.Parameters.Capabilities, "CAPABILITY_IAM"},
		{"deploy.confirm_changeset", d.Deploy.Parameters.ConfirmChangeset, true},
		{"validate.lint", d.Validate.Parameters.Lint, true},
		{"local_invoke.env_vars", d.LocalInvoke.Parameters.EnvVars, "events/env/dry-run.json"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("samconfig.toml default.%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}
