package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// The environment variables the function reads (handler/ami/config.go).
var functionVariables = []string{
	"TOPIC_ARN", "ONCALL_TOPIC_ARN", "ONCALL_STATES", "SKIP_STATES", "SKIP_NAME_PREFIXES",
	"SKIP_TAGS", "DRY_RUN", "LOG_LEVEL", "ENRICH_TIMEOUT", "PUBLISH_TIMEOUT",
}

func number(t *testing.T, v any) float64 {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return n
	case string:
		f, err := strconv.ParseFloat(n, 64)
		if err == nil {
			return f
		}
	}
	t.Fatalf("got %v, want a number", v)
	return 0
}

func TestFunctionSettings(t *testing.T) {
	s := transform(t, map[string]string{"LogLevel": "DEBUG", "LogRetentionDays": "14"})
	fn := s.Resources["AmiNotifyFunction"].Properties
	checks := []struct {
		name      string
		got, want any
	}{
		{"Runtime", fn["Runtime"], "provided.al2023"},
		{"Handler", fn["Handler"], "bootstrap"},
		{"Architectures", fn["Architectures"], []any{"arm64"}},
		{"MemorySize", number(t, fn["MemorySize"]), 128.0},
		{"LoggingConfig.LogFormat", dig(fn, "LoggingConfig", "LogFormat"), "JSON"},
		{"LoggingConfig.ApplicationLogLevel", dig(fn, "LoggingConfig", "ApplicationLogLevel"), "DEBUG"},
		{"LoggingConfig.LogGroup", dig(fn, "LoggingConfig", "LogGroup"), s.mustRef(t, "AmiNotifyLogGroup")},
		{"LOG_LEVEL", dig(fn, "Environment", "Variables", "LOG_LEVEL"), "DEBUG"},
		{"DRY_RUN", dig(fn, "Environment", "Variables", "DRY_RUN"), "false"},
		{"log retention", number(t, dig(s.Resources["AmiNotifyLogGroup"].Properties, "RetentionInDays")), 14.0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// Enrichment (5 s) and publishing (10 s, SDK retries included) must fit,
	// with room for a cold start; much longer only delays Lambda's retry.
	if timeout := number(t, fn["Timeout"]); timeout < 20 || timeout > 60 {
		t.Errorf("Timeout: got %v s, want 20..60 s", timeout)
	}
	vars, _ := dig(fn, "Environment", "Variables").(map[string]any)
	var names []string
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	want := slices.Clone(functionVariables)
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Errorf("environment variables: got %v, want %v", names, want)
	}
}

// TestTopicsAndSubscribers checks, per parameter set, which topics and
// subscriptions exist, how they are encrypted and protected, and where the
// function publishes.
func TestTopicsAndSubscribers(t *testing.T) {
	type sub struct{ topic, protocol, endpoint string }
	tests := []struct {
		name       string
		params     map[string]string
		topics     []string // topics the stack creates besides AlarmTopic
		subs       []sub    // topic is a logical id
		topicEnv   string   // TOPIC_ARN: a logical id or an ARN
		onCallEnv  string   // ONCALL_TOPIC_ARN: a logical id, an ARN or ""
		topicKey   string   // KmsMasterKeyId of the notification topics
		alarmKey   string   // KmsMasterKeyId of AlarmTopic, "" for none
		onCallOuts bool
	}{
		{
			name:     "defaults: one topic, nobody subscribed",
			topics:   []string{"NotificationTopic"},
			topicEnv: "NotificationTopic",
			topicKey: "alias/aws/sns",
		},
		{
			name:   "email and phone",
			params: map[string]string{"NotificationEmail": "ops@example.com", "NotificationPhoneNumber": "+14155550100"},
			topics: []string{"NotificationTopic"},
			subs: []sub{
				{"NotificationTopic", "email", "ops@example.com"},
				{"NotificationTopic", "sms", "+14155550100"},
				{"AlarmTopic", "email", "ops@example.com"},
			},
			topicEnv: "NotificationTopic",
			topicKey: "alias/aws/sns",
		},
		{
			name: "existing topic: alarms still reach the email",
			params: map[string]string{
				"ExistingTopicArn": existingTopicARN, "NotificationEmail": "ops@example.com",
				"NotificationPhoneNumber": "+14155550100",
			},
			subs:     []sub{{"AlarmTopic", "email", "ops@example.com"}},
			topicEnv: existingTopicARN,
		},
		{
			name:       "on-call phone with customer and alarm keys",
			params:     map[string]string{"OnCallPhoneNumber": "+14155550199", "KmsKeyArn": customerKeyARN, "AlarmKmsKeyArn": alarmKeyARN},
			topics:     []string{"NotificationTopic", "OnCallTopic"},
			subs:       []sub{{"OnCallTopic", "sms", "+14155550199"}},
			topicEnv:   "NotificationTopic",
			onCallEnv:  "OnCallTopic",
			topicKey:   customerKeyARN,
			alarmKey:   alarmKeyARN,
			onCallOuts: true,
		},
		{
			name:       "existing on-call topic",
			params:     map[string]string{"ExistingOnCallTopicArn": existingOnCallTopicARN, "OnCallPhoneNumber": "+14155550199"},
			topics:     []string{"NotificationTopic"},
			topicEnv:   "NotificationTopic",
			onCallEnv:  existingOnCallTopicARN,
			topicKey:   "alias/aws/sns",
			onCallOuts: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := transform(t, tt.params)

			wantTopics := append([]string{"AlarmTopic"}, tt.topics...)
			sort.Strings(wantTopics)
			if got := s.ofType("AWS::SNS::Topic"); !slices.Equal(got, wantTopics) {
				t.Errorf("topics: got %v, want %v", got, wantTopics)
			}
			for _, id := range s.ofType("AWS::SNS::Topic") {
				props := s.Resources[id].Properties
				// The SMS renderer leaves room for this name's prefix.
				if got := props["DisplayName"]; got != "ami-notify" {
					t.Errorf("%s DisplayName: got %v, want ami-notify", id, got)
				}
				want := tt.topicKey
				if id == "AlarmTopic" {
					want = tt.alarmKey
				}
				if got := fmt.Sprint(props["KmsMasterKeyId"]); props["KmsMasterKeyId"] == nil && want != "" || props["KmsMasterKeyId"] != nil && got != want {
					t.Errorf("%s KmsMasterKeyId: got %v, want %q", id, props["KmsMasterKeyId"], want)
				}
				checkTopicPolicy(t, s, id)
			}

			var got []sub
			for _, id := range s.ofType("AWS::SNS::Subscription") {
				p := s.Resources[id].Properties
				got = append(got, sub{topicID(s, fmt.Sprint(p["TopicArn"])), fmt.Sprint(p["Protocol"]), fmt.Sprint(p["Endpoint"])})
			}
			sortSubs := func(l []sub) {
				sort.Slice(l, func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) })
			}
			sortSubs(got)
			want := slices.Clone(tt.subs)
			sortSubs(want)
			if !slices.Equal(got, want) {
				t.Errorf("subscriptions: got %v, want %v", got, want)
			}

			env := dig(s.Resources["AmiNotifyFunction"].Properties, "Environment", "Variables")
			wantTopic := s.topicARN(t, tt.topicEnv)
			if got := dig(env, "TOPIC_ARN"); got != wantTopic {
				t.Errorf("TOPIC_ARN: got %v, want %v", got, wantTopic)
			}
			if got := s.Outputs["NotificationTopicArn"]; got != wantTopic {
				t.Errorf("output NotificationTopicArn: got %v, want %v", got, wantTopic)
			}
			wantOnCall := ""
			if tt.onCallEnv != "" {
				wantOnCall = s.topicARN(t, tt.onCallEnv)
			}
			if got := dig(env, "ONCALL_TOPIC_ARN"); got != wantOnCall {
				t.Errorf("ONCALL_TOPIC_ARN: got %v, want %q", got, wantOnCall)
			}
			if got, ok := s.Outputs["OnCallTopicArn"]; ok != tt.onCallOuts || ok && got != wantOnCall {
				t.Errorf("output OnCallTopicArn: got %v (present %v), want %q", got, ok, wantOnCall)
			}
		})
	}
}

// topicID maps a created topic's ARN back to its logical id.
func topicID(s *stack, arn string) string {
	for _, id := range s.ofType("AWS::SNS::Topic") {
		if v, err := s.getAtt(id, "TopicArn"); err == nil && v == arn {
			return id
		}
	}
	return arn
}

// checkTopicPolicy: the topic has a policy that denies publishing without
// TLS and allows only this account (and, for AlarmTopic, this stack's
// alarms through CloudWatch).
func checkTopicPolicy(t *testing.T, s *stack, topic string) {
	t.Helper()
	arn := s.mustRef(t, topic)
	var statements []map[string]any
	for _, id := range s.ofType("AWS::SNS::TopicPolicy") {
		p := s.Resources[id].Properties
		if slices.Contains(stringsOf(p["Topics"]), arn) {
			for _, st := range asList(dig(p, "PolicyDocument", "Statement")) {
				m, _ := st.(map[string]any)
				statements = append(statements, m)
			}
		}
	}
	if len(statements) == 0 {
		t.Errorf("%s has no topic policy", topic)
		return
	}
	denyTLS, cloudWatch := false, false
	for _, st := range statements {
		if !slices.Equal(stringsOf(st["Resource"]), []string{arn}) {
			t.Errorf("%s policy statement %v: resource is not the topic alone", topic, st["Sid"])
		}
		switch st["Effect"] {
		case "Deny":
			if dig(st, "Principal") == "*" && dig(st, "Condition", "Bool", "aws:SecureTransport") == "false" &&
				slices.Contains(stringsOf(st["Action"]), "sns:Publish") {
				denyTLS = true
			}
		case "Allow":
			account := "arn:aws:iam::" + testAccount + ":root"
			switch {
			case dig(st, "Principal", "AWS") == account:
			case dig(st, "Principal", "Service") == "cloudwatch.amazonaws.com" && topic == "AlarmTopic":
				cloudWatch = true
				checkAlarmStatement(t, s, st)
			default:
				t.Errorf("%s policy allows %v: want this account only", topic, st["Principal"])
			}
		}
	}
	if !denyTLS {
		t.Errorf("%s policy does not deny publishing without TLS", topic)
	}
	if topic == "AlarmTopic" && !cloudWatch {
		t.Errorf("AlarmTopic policy does not let CloudWatch publish: alarms would not arrive")
	}
}

// checkAlarmStatement: CloudWatch may publish only for this account's
// alarms of this stack, and every alarm of the stack is among them.
func checkAlarmStatement(t *testing.T, s *stack, st map[string]any) {
	t.Helper()
	if got := stringsOf(st["Action"]); !slices.Equal(got, []string{"sns:Publish"}) {
		t.Errorf("CloudWatch statement actions: got %v, want [sns:Publish]", got)
	}
	if got := dig(st, "Condition", "StringEquals", "aws:SourceAccount"); got != testAccount {
		t.Errorf("CloudWatch statement aws:SourceAccount: got %v, want %s", got, testAccount)
	}
	sources := stringsOf(dig(st, "Condition", "ArnEquals", "aws:SourceArn"))
	var alarms []string
	for _, id := range s.ofType("AWS::CloudWatch::Alarm") {
		alarms = append(alarms, s.mustGetAtt(t, id, "Arn"))
	}
	sort.Strings(sources)
	if !slices.Equal(sources, alarms) {
		t.Errorf("CloudWatch statement aws:SourceArn: got %v, want the stack's alarms %v", sources, alarms)
	}
}

// TestAlarms: each way an event can be lost or late has an alarm, and each
// alarm notifies the alarm topic.
func TestAlarms(t *testing.T) {
	s := transform(t, nil)
	type watched struct{ namespace, metric, dimension, value string }
	want := []watched{
		{"AWS/Lambda", "Errors", "FunctionName", s.mustRef(t, "AmiNotifyFunction")},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", s.mustGetAtt(t, "FailureQueue", "QueueName")},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", s.mustGetAtt(t, "RuleDeadLetterQueue", "QueueName")},
		{"AWS/Events", "FailedInvocations", "RuleName", s.mustRef(t, "AmiNotifyFunctionAmiStateChange")},
	}
	alarmTopic := s.mustRef(t, "AlarmTopic")
	var got []watched
	for _, id := range s.ofType("AWS::CloudWatch::Alarm") {
		p := s.Resources[id].Properties
		got = append(got, watched{
			fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"]),
			fmt.Sprint(dig(p, "Dimensions", "0", "Name")), fmt.Sprint(dig(p, "Dimensions", "0", "Value")),
		})
		if actions := stringsOf(p["AlarmActions"]); !slices.Equal(actions, []string{alarmTopic}) {
			t.Errorf("%s AlarmActions: got %v, want [%s]", id, actions, alarmTopic)
		}
		if p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s TreatMissingData: got %v, want notBreaching (no data means no failures)", id, p["TreatMissingData"])
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no alarm on %v; alarms: %v", w, got)
		}
	}
	checkTopicPolicy(t, s, "AlarmTopic")
}

// TestNoEventLost: the rule retries into a dead-letter queue, the function's
// asynchronous invocations retry into a failure queue, and both queues are
// encrypted and keep messages for 14 days.
func TestNoEventLost(t *testing.T) {
	s := transform(t, nil)
	rule := s.Resources["AmiNotifyFunctionAmiStateChange"].Properties
	targets := asList(rule["Targets"])
	if len(targets) != 1 {
		t.Fatalf("rule targets: got %v, want the function alone", targets)
	}
	target := targets[0]
	ruleARN := s.mustGetAtt(t, "AmiNotifyFunctionAmiStateChange", "Arn")
	invoke := s.Resources["AmiNotifyFunctionEventInvokeConfig"].Properties
	checks := []struct {
		name      string
		got, want any
	}{
		{"rule bus", rule["EventBusName"], nil},
		{"rule target", dig(target, "Arn"), s.mustGetAtt(t, "AmiNotifyFunction", "Arn")},
		{"rule dead-letter queue", dig(target, "DeadLetterConfig", "Arn"), s.mustGetAtt(t, "RuleDeadLetterQueue", "Arn")},
		{"async retries", number(t, invoke["MaximumRetryAttempts"]), 2.0},
		{"async on-failure destination", dig(invoke, "DestinationConfig", "OnFailure", "Destination"), s.mustGetAtt(t, "FailureQueue", "Arn")},
		{"output RuleArn", s.Outputs["RuleArn"], ruleARN},
		{"output FailureQueueUrl", s.Outputs["FailureQueueUrl"], s.mustRef(t, "FailureQueue")},
		{"output FunctionArn", s.Outputs["FunctionArn"], s.mustGetAtt(t, "AmiNotifyFunction", "Arn")},
		{"output AlarmTopicArn", s.Outputs["AlarmTopicArn"], s.mustRef(t, "AlarmTopic")},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if dig(target, "RetryPolicy") == nil {
		t.Errorf("rule target has no RetryPolicy")
	}
	if age := number(t, invoke["MaximumEventAgeInSeconds"]); age < 60 || age > 21600 {
		t.Errorf("async MaximumEventAgeInSeconds: got %v, want 60..21600", age)
	}
	for _, id := range []string{"FailureQueue", "RuleDeadLetterQueue"} {
		q := s.Resources[id].Properties
		if q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
			t.Errorf("%s is not encrypted", id)
		}
		if got := number(t, q["MessageRetentionPeriod"]); got != 14*24*3600 {
			t.Errorf("%s MessageRetentionPeriod: got %v, want 14 days", id, got)
		}
	}
	// EventBridge needs the queue's permission to dead-letter; only this
	// rule gets it.
	dlq := s.mustRef(t, "RuleDeadLetterQueue")
	allowed := false
	for _, id := range s.ofType("AWS::SQS::QueuePolicy") {
		p := s.Resources[id].Properties
		if !slices.Contains(stringsOf(p["Queues"]), dlq) {
			continue
		}
		for _, st := range asList(dig(p, "PolicyDocument", "Statement")) {
			if dig(st, "Effect") == "Allow" && dig(st, "Principal", "Service") == "events.amazonaws.com" &&
				dig(st, "Condition", "ArnEquals", "aws:SourceArn") == ruleARN {
				allowed = true
			} else if dig(st, "Effect") == "Allow" {
				t.Errorf("dead-letter queue policy allows %v", st)
			}
		}
	}
	if !allowed {
		t.Errorf("dead-letter queue policy does not let the rule (%s) send", ruleARN)
	}
}

// TestEnvVarsFiles: `sam local invoke --env-vars` only overrides variables
// the template declares, so every file in events/env/ must name the
// function and declared variables only; dry-run.json must turn DRY_RUN on.
func TestEnvVarsFiles(t *testing.T) {
	s := transform(t, nil)
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "events", "env", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("events/env/*.json: %v, %d files", err, len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var vars map[string]map[string]string
			if err := json.Unmarshal(b, &vars); err != nil {
				t.Fatalf("decode (want {\"Function\": {\"VAR\": \"string\"}}): %v", err)
			}
			for fn, env := range vars {
				r, ok := s.Resources[fn]
				if !ok || r.Type != "AWS::Lambda::Function" {
					t.Errorf("%s is not a function of the template", fn)
					continue
				}
				declared, _ := dig(r.Properties, "Environment", "Variables").(map[string]any)
				for name := range env {
					if _, ok := declared[name]; !ok {
						t.Errorf("%s.%s is not declared in template.yaml: sam local invoke would ignore it", fn, name)
					}
				}
			}
			if filepath.Base(file) == "dry-run.json" && vars["AmiNotifyFunction"]["DRY_RUN"] != "true" {
				t.Errorf("dry-run.json: DRY_RUN is %q, want \"true\"", vars["AmiNotifyFunction"]["DRY_RUN"])
			}
		})
	}
}
