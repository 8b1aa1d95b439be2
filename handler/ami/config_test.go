package ami

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

const topic = "arn:aws:sns:us-east-1:123456789012:ami-notify"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{
		"TOPIC_ARN":          topic,
		"ONCALL_TOPIC_ARN":   "arn:aws:sns:eu-west-1:123456789012:oncall",
		"ONCALL_STATES":      "failed, deregistered",
		"SKIP_STATES":        "disabled,",
		"SKIP_NAME_PREFIXES": "tmp-, test-",
		"SKIP_TAGS":          "aws:backup:source-resource, env=dev",
		"LOG_LEVEL":          "debug",
		"ENRICH_TIMEOUT":     "2s",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := Config{
		TopicARN:       topic,
		OnCallTopicARN: "arn:aws:sns:eu-west-1:123456789012:oncall",
		OnCallStates:   []string{"failed", "deregistered"},
		Skip: Rules{
			States:       []string{"disabled"},
			NamePrefixes: []string{"tmp-", "test-"},
			Tags:         []TagRule{{Key: "aws:backup:source-resource"}, {Key: "env", Value: "dev", MatchValue: true}},
		},
		LogLevel:       slog.LevelDebug,
		EnrichTimeout:  2 * time.Second,
		PublishTimeout: defaultPublishTimeout,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{"TOPIC_ARN": topic}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if !reflect.DeepEqual(c.OnCallStates, []string{"failed", "disabled"}) || c.EnrichTimeout != 5*time.Second ||
		c.PublishTimeout != 10*time.Second || c.LogLevel != slog.LevelInfo || c.DryRun {
		t.Errorf("got %+v, want the documented defaults", c)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // the variable that must be named
	}{
		{"no topic", map[string]string{}, "TOPIC_ARN is not set"},
		{"topic is a name", map[string]string{"TOPIC_ARN": "ami-notify"}, "TOPIC_ARN"},
		{"topic of another service", map[string]string{"TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:q"}, "TOPIC_ARN"},
		{"bad on-call topic", map[string]string{"TOPIC_ARN": topic, "ONCALL_TOPIC_ARN": "oncall"}, "ONCALL_TOPIC_ARN"},
		{"bad dry run", map[string]string{"DRY_RUN": "yes please"}, "DRY_RUN"},
		{"bad level", map[string]string{"TOPIC_ARN": topic, "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"bad Lambda level", map[string]string{"TOPIC_ARN": topic, "AWS_LAMBDA_LOG_LEVEL": "loud"}, "AWS_LAMBDA_LOG_LEVEL"},
		{"bad timeout", map[string]string{"TOPIC_ARN": topic, "ENRICH_TIMEOUT": "5"}, "ENRICH_TIMEOUT"},
		{"negative timeout", map[string]string{"TOPIC_ARN": topic, "PUBLISH_TIMEOUT": "-1s"}, "PUBLISH_TIMEOUT"},
		{"tag rule without key", map[string]string{"TOPIC_ARN": topic, "SKIP_TAGS": "=x"}, "SKIP_TAGS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadConfigDryRunNeedsNoTopic(t *testing.T) {
	// sam local invoke cannot resolve the stack's topic, so whatever it
	// passes must not stop a dry run.
	for _, v := range []string{"", "AmiNotifyTopic"} {
		c, err := LoadConfig(env(map[string]string{"DRY_RUN": "true", "TOPIC_ARN": v}))
		if err != nil || !c.DryRun {
			t.Errorf("TOPIC_ARN=%q: got %+v, %v, want a dry-run config", v, c, err)
		}
	}
}

func TestStateListsIgnoreCase(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{"TOPIC_ARN": topic, "ONCALL_STATES": "FAILED,Disabled", "SKIP_STATES": "Deregistered", "SKIP_NAME_PREFIXES": "Tmp-"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if !reflect.DeepEqual(c.OnCallStates, []string{"failed", "disabled"}) || !reflect.DeepEqual(c.Skip.States, []string{"deregistered"}) {
		t.Errorf("got on-call %v, skip %v, want lower-case states", c.OnCallStates, c.Skip.States)
	}
	// Names are case-sensitive in EC2: prefixes are kept as written.
	if !reflect.DeepEqual(c.Skip.NamePrefixes, []string{"Tmp-"}) {
		t.Errorf("got prefixes %v, want them as written", c.Skip.NamePrefixes)
	}
}

func TestLambdaLogLevelWins(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{"TOPIC_ARN": topic, "AWS_LAMBDA_LOG_LEVEL": "WARN", "LOG_LEVEL": "DEBUG"}))
	if err != nil || c.LogLevel != slog.LevelWarn {
		t.Errorf("got level %v, %v, want WARN", c.LogLevel, err)
	}
}
