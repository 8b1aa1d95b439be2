package ami

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is everything the function reads from its environment, read once
// at start.
type Config struct {
	TopicARN       string
	OnCallTopicARN string
	OnCallStates   []string
	Skip           Rules
	DryRun         bool
	LogLevel       slog.Level
	EnrichTimeout  time.Duration
	PublishTimeout time.Duration
}

// Defaults for the optional variables.
const (
	defaultOnCallStates   = "failed,disabled"
	defaultEnrichTimeout  = 5 * time.Second
	defaultPublishTimeout = 10 * time.Second
)

// LoadConfig reads the configuration through getenv (os.Getenv in main) and
// validates it. An error names the variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var err error
	if c.DryRun, err = boolVar(getenv, "DRY_RUN"); err != nil {
		return c, err
	}
	c.TopicARN = strings.TrimSpace(getenv("TOPIC_ARN"))
	c.OnCallTopicARN = strings.TrimSpace(getenv("ONCALL_TOPIC_ARN"))
	// A dry run publishes nothing, so it needs no topic: sam local invoke
	// cannot resolve the stack's topic ARN anyway.
	if !c.DryRun {
		if c.TopicARN == "" {
			return c, fmt.Errorf("TOPIC_ARN is not set (set DRY_RUN=true to run without a topic)")
		}
		if !validTopicARN(c.TopicARN) {
			return c, fmt.Errorf("TOPIC_ARN %q is not an SNS topic ARN", c.TopicARN)
		}
		if c.OnCallTopicARN != "" && !validTopicARN(c.OnCallTopicARN) {
			return c, fmt.Errorf("ONCALL_TOPIC_ARN %q is not an SNS topic ARN", c.OnCallTopicARN)
		}
	}
	onCall := getenv("ONCALL_STATES")
	if onCall == "" {
		onCall = defaultOnCallStates
	}
	// Events' states are lower case (the decoder lowers them too), so a
	// state list matches whatever case it was written in.
	c.OnCallStates = list(strings.ToLower(onCall))
	c.Skip.States = list(strings.ToLower(getenv("SKIP_STATES")))
	c.Skip.NamePrefixes = list(getenv("SKIP_NAME_PREFIXES"))
	for _, s := range list(getenv("SKIP_TAGS")) {
		k, v, hasValue := strings.Cut(s, "=")
		if k == "" {
			return c, fmt.Errorf("SKIP_TAGS entry %q has no tag key", s)
		}
		c.Skip.Tags = append(c.Skip.Tags, TagRule{Key: k, Value: v, MatchValue: hasValue})
	}
	if c.LogLevel, err = logLevel(getenv); err != nil {
		return c, err
	}
	if c.EnrichTimeout, err = durationVar(getenv, "ENRICH_TIMEOUT", defaultEnrichTimeout); err != nil {
		return c, err
	}
	if c.PublishTimeout, err = durationVar(getenv, "PUBLISH_TIMEOUT", defaultPublishTimeout); err != nil {
		return c, err
	}
	return c, nil
}

// list splits a comma-separated variable, trimming blanks and dropping
// empty entries.
func list(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func boolVar(getenv func(string) string, name string) (bool, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s %q is not true or false", name, s)
	}
	return b, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive duration such as 5s", name, s)
	}
	return d, nil
}

// logLevel reads Lambda's AWS_LAMBDA_LOG_LEVEL (set by the function's
// LoggingConfig) and falls back to LOG_LEVEL.
func logLevel(getenv func(string) string) (slog.Level, error) {
	name := "AWS_LAMBDA_LOG_LEVEL"
	s := getenv(name)
	if s == "" {
		name, s = "LOG_LEVEL", getenv("LOG_LEVEL")
	}
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "INFO":
		return slog.LevelInfo, nil
	case "TRACE", "DEBUG":
		return slog.LevelDebug, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR", "FATAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%s %q is not one of DEBUG, INFO, WARN, ERROR", name, s)
}

// validTopicARN checks the shape arn:<partition>:sns:<region>:<account>:<name>.
func validTopicARN(arn string) bool {
	p := strings.Split(arn, ":")
	return len(p) == 6 && p[0] == "arn" && strings.HasPrefix(p[1], "aws") && p[2] == "sns" &&
		p[3] != "" && len(p[4]) == 12 && p[5] != ""
}
