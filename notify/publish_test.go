package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// fakePublisher records the last input and options, and fails with err for
// the topic failFor (every topic when failFor is empty).
type fakePublisher struct {
	in      *sns.PublishInput
	opts    sns.Options
	err     error
	failFor string
	calls   int
}

func (f *fakePublisher) Publish(_ context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.calls++
	f.in = in
	for _, fn := range optFns {
		fn(&f.opts)
	}
	if f.err != nil && (f.failFor == "" || f.failFor == aws.ToString(in.TopicArn)) {
		return nil, f.err
	}
	return &sns.PublishOutput{MessageId: aws.String("msg-1")}, nil
}

func testMessage() Message {
	return Message{
		Subject:  "AMI available: base (ami-0a1b2c3d4e5f60718) us-east-1",
		Default:  "default text",
		Email:    "email body",
		SMS:      "sms text",
		APNS:     `{"aps":{"alert":{"title":"t","body":"b"}}}`,
		GCM:      `{"fcmV1Message":{"message":{}}}`,
		Document: `{"schema_version":1}`,
	}
}

func testNotification() Notification {
	return Notification{Change: StateChange{State: "available", Region: "us-east-1", Account: "123456789012", ImageID: "ami-0a1b2c3d4e5f60718"}}
}

func TestPublish(t *testing.T) {
	p := &fakePublisher{}
	topic := "arn:aws:sns:eu-west-1:123456789012:ami-notify"
	ids, err := Publish(context.Background(), p, []string{topic}, testNotification(), testMessage())
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(ids) != 1 || ids[0] != "msg-1" {
		t.Errorf("got message ids %q, want [msg-1]", ids)
	}
	if got := aws.ToString(p.in.MessageStructure); got != "json" {
		t.Errorf("got structure %q, want json", got)
	}
	if got := aws.ToString(p.in.TopicArn); got != topic {
		t.Errorf("got topic %q, want %q", got, topic)
	}
	if got := aws.ToString(p.in.Subject); got != testMessage().Subject {
		t.Errorf("got subject %q, want %q", got, testMessage().Subject)
	}
	if p.opts.Region != "eu-west-1" {
		t.Errorf("got region %q, want the topic's region eu-west-1", p.opts.Region)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(p.in.Message)), &body); err != nil {
		t.Fatalf("message is not a JSON object of strings: %v", err)
	}
	m := testMessage()
	want := map[string]string{
		"default": m.Default, "email": m.Email, "sms": m.SMS,
		"APNS": m.APNS, "APNS_SANDBOX": m.APNS, "GCM": m.GCM,
		"email-json": m.Document, "sqs": m.Document, "lambda": m.Document,
		"http": m.Document, "https": m.Document, "firehose": m.Document,
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("key %q: got %q, want %q", k, body[k], v)
		}
	}
	if len(body) != len(want) {
		t.Errorf("got %d keys, want %d", len(body), len(want))
	}
	for name, want := range map[string]string{"state": "available", "region": "us-east-1", "account": "123456789012", "image_id": "ami-0a1b2c3d4e5f60718"} {
		a, ok := p.in.MessageAttributes[name]
		if !ok || aws.ToString(a.StringValue) != want || aws.ToString(a.DataType) != "String" {
			t.Errorf("attribute %s: got %+v, want String %q", name, a, want)
		}
	}
}

func TestPublishLeavesOutEmptyAttributes(t *testing.T) {
	p := &fakePublisher{}
	n := testNotification()
	n.Change.Account = ""
	if _, err := Publish(context.Background(), p, []string{"arn:aws:sns:us-east-1:123456789012:t"}, n, testMessage()); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if _, ok := p.in.MessageAttributes["account"]; ok {
		t.Errorf("got an empty account attribute, which SNS would reject")
	}
}

func TestPublishError(t *testing.T) {
	cause := errors.New("NotFound: Topic does not exist")
	p := &fakePublisher{err: cause}
	ok := "arn:aws:sns:us-east-1:123456789012:ok"
	gone := "arn:aws:sns:us-east-1:123456789012:gone"
	p.failFor = gone
	ids, err := Publish(context.Background(), p, []string{ok, gone, ok}, testNotification(), testMessage())
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), gone) {
		t.Errorf("got %v, want the cause wrapped with the topic", err)
	}
	if len(ids) != 1 || p.calls != 2 {
		t.Errorf("got ids %q after %d calls, want one id and a stop at the failure", ids, p.calls)
	}
}

func TestPublishTooLarge(t *testing.T) {
	p := &fakePublisher{}
	m := testMessage()
	m.Document = `"` + strings.Repeat("x", MaxMessageBytes/6) + `"`
	_, err := Publish(context.Background(), p, []string{"arn:aws:sns:us-east-1:123456789012:t"}, testNotification(), m)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v, want ErrTooLarge", err)
	}
	if p.in != nil {
		t.Errorf("published a message SNS would reject")
	}
}

func TestARNRegion(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sns:us-east-1:123456789012:t":        "us-east-1",
		"arn:aws-cn:sns:cn-north-1:123456789012:t":    "cn-north-1",
		"arn:aws:sns:us-east-1:123456789012:t:sub-id": "us-east-1",
		"not-an-arn": "",
	} {
		if got := arnRegion(arn); got != want {
			t.Errorf("arnRegion(%q): got %q, want %q", arn, got, want)
		}
	}
}
