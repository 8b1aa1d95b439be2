package stack

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Parameter values the scenarios share. The existing topics are in the test
// account and region: SNSPublishMessagePolicy builds the ARN from those.
const (
	existingTopicARN       = "arn:aws:sns:us-east-1:123456789012:team-alerts"
	existingOnCallTopicARN = "arn:aws:sns:us-east-1:123456789012:team-pager"
	customerKeyARN         = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	alarmKeyARN            = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"
	basicExecutionRoleARN  = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)

// grant is one action allowed on one resource, the action in lower case
// (IAM compares actions without case).
type grant struct{ action, resource string }

func (g grant) String() string { return g.action + " on " + g.resource }

// roleScenarios are the parameter combinations that change what the
// function may do. topics are the topics it must be able to publish to,
// each a logical id of a topic the stack creates or an ARN.
var roleScenarios = []struct {
	name   string
	params map[string]string
	topics []string
	key    string
}{
	{
		name:   "defaults",
		topics: []string{"NotificationTopic"},
	},
	{
		name:   "email and SMS subscribers",
		params: map[string]string{"NotificationEmail": "ops@example.com", "NotificationPhoneNumber": "+14155550100"},
		topics: []string{"NotificationTopic"},
	},
	{
		name:   "existing topic",
		params: map[string]string{"ExistingTopicArn": existingTopicARN, "NotificationEmail": "ops@example.com"},
		topics: []string{existingTopicARN},
	},
	{
		name:   "customer-managed key",
		params: map[string]string{"KmsKeyArn": customerKeyARN},
		topics: []string{"NotificationTopic"},
		key:    customerKeyARN,
	},
	{
		name:   "on-call phone",
		params: map[string]string{"OnCallPhoneNumber": "+14155550199", "OnCallStates": "failed"},
		topics: []string{"NotificationTopic", "OnCallTopic"},
	},
	{
		name: "existing on-call topic wins over a phone number",
		params: map[string]string{
			"ExistingOnCallTopicArn": existingOnCallTopicARN,
			"OnCallPhoneNumber":      "+14155550199",
		},
		topics: []string{"NotificationTopic", existingOnCallTopicARN},
	},
	{
		name: "existing topics, customer key and alarm key",
		params: map[string]string{
			"ExistingTopicArn":       existingTopicARN,
			"ExistingOnCallTopicArn": existingOnCallTopicARN,
			"KmsKeyArn":              customerKeyARN,
			"AlarmKmsKeyArn":         alarmKeyARN,
		},
		topics: []string{existingTopicARN, existingOnCallTopicARN},
		key:    customerKeyARN,
	},
	{
		name:   "customer key with on-call phone",
		params: map[string]string{"KmsKeyArn": customerKeyARN, "OnCallPhoneNumber": "+14155550199"},
		topics: []string{"NotificationTopic", "OnCallTopic"},
		key:    customerKeyARN,
	},
}

// topicARN is a scenario's topic as an ARN.
func (s *stack) topicARN(t *testing.T, topic string) string {
	t.Helper()
	if strings.HasPrefix(topic, "arn:") {
		return topic
	}
	return s.mustRef(t, topic)
}

// TestFunctionRoleIsLeastPrivilege reads the function's role after SAM's
// transform and fails on any grant beyond what the function needs: describe
// and find images anywhere, publish to its own topics, use the topics'
// customer-managed key, and (for Lambda's on-failure destination) send to
// the failure queue. It also fails when a needed grant is missing.
func TestFunctionRoleIsLeastPrivilege(t *testing.T) {
	for _, sc := range roleScenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := transform(t, sc.params)

			want := map[grant]bool{
				{"ec2:describeimages", "*"}:         true,
				{"ec2:listimagesinrecyclebin", "*"}: true,
				// Lambda sends a failed event to its on-failure destination
				// with the function's own role.
				{"sqs:sendmessage", s.mustGetAtt(t, "FailureQueue", "Arn")}: true,
			}
			for _, topic := range sc.topics {
				want[grant{"sns:publish", s.topicARN(t, topic)}] = true
			}
			if sc.key != "" {
				want[grant{"kms:generatedatakey", sc.key}] = true
				want[grant{"kms:decrypt", sc.key}] = true
			}

			role := functionRole(t, s)
			got, problems := roleGrants(s, role)
			for _, p := range problems {
				t.Error(p)
			}
			for g := range got {
				if !want[g] {
					t.Errorf("role %s allows %s: not needed", role, g)
				}
			}
			for g := range want {
				if !got[g] {
					t.Errorf("role %s does not allow %s: the function needs it", role, g)
				}
			}
		})
	}
}

// functionRole is the logical id of the role AmiNotifyFunction runs with.
func functionRole(t *testing.T, s *stack) string {
	t.Helper()
	fn, ok := s.Resources["AmiNotifyFunction"]
	if !ok {
		t.Fatalf("no AmiNotifyFunction in the transformed template")
	}
	arn := fmt.Sprint(fn.Properties["Role"])
	for _, id := range s.ofType("AWS::IAM::Role") {
		if s.mustGetAtt(t, id, "Arn") == arn {
			return id
		}
	}
	t.Fatalf("AmiNotifyFunction's role %s is not a role of this stack", arn)
	return ""
}

// roleGrants collects every Allow of the role: its inline policies and any
// AWS::IAM::Policy or ManagedPolicy of the stack attached to it. Grants that
// cannot be listed (NotAction, NotResource, unknown managed policies, other
// trust) come back as problems.
func roleGrants(s *stack, roleID string) (map[grant]bool, []string) {
	role := s.Resources[roleID].Properties
	var problems []string

	principals := stringsOf(dig(role, "AssumeRolePolicyDocument", "Statement", "0", "Principal", "Service"))
	if n := len(stringsOf(dig(role, "AssumeRolePolicyDocument", "Statement"))); n != 1 ||
		len(principals) != 1 || principals[0] != "lambda.amazonaws.com" {
		problems = append(problems, fmt.Sprintf("role %s trust: got %v, want only lambda.amazonaws.com", roleID, dig(role, "AssumeRolePolicyDocument")))
	}
	for _, arn := range stringsOf(role["ManagedPolicyArns"]) {
		// Logs only: CreateLogGroup, CreateLogStream, PutLogEvents.
		if arn != basicExecutionRoleARN {
			problems = append(problems, fmt.Sprintf("role %s has managed policy %s", roleID, arn))
		}
	}
	if _, ok := role["PermissionsBoundary"]; ok {
		problems = append(problems, fmt.Sprintf("role %s: a permissions boundary is not expected", roleID))
	}

	var documents []any
	for _, p := range asList(role["Policies"]) {
		documents = append(documents, dig(p, "PolicyDocument"))
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, id := range s.ofType(typ) {
			props := s.Resources[id].Properties
			for _, r := range stringsOf(props["Roles"]) {
				if r == physicalName(roleID) {
					documents = append(documents, props["PolicyDocument"])
				}
			}
		}
	}

	got := map[grant]bool{}
	for _, doc := range documents {
		for _, st := range asList(dig(doc, "Statement")) {
			m, _ := st.(map[string]any)
			switch m["Effect"] {
			case "Deny":
				continue // A deny only takes away.
			case "Allow":
			default:
				problems = append(problems, fmt.Sprintf("statement with effect %v: %v", m["Effect"], m))
				continue
			}
			if m["NotAction"] != nil || m["NotResource"] != nil {
				problems = append(problems, fmt.Sprintf("statement allows by exclusion: %v", m))
				continue
			}
			// Conditions only narrow a grant, so they are ignored: a grant
			// is judged by what it could allow at most.
			for _, a := range stringsOf(m["Action"]) {
				for _, r := range stringsOf(m["Resource"]) {
					got[grant{strings.ToLower(a), r}] = true
				}
			}
		}
	}
	sort.Strings(problems)
	return got, problems
}

// asList is v as a list; a single statement may stand alone.
func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	}
	return []any{v}
}
