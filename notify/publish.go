package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// Publisher is the one SNS call ami-notify makes.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ Publisher = (*sns.Client)(nil)

// Publish sends the notification to each topic in turn as one
// MessageStructure=json message, so each subscriber gets the body made for
// its protocol, and returns SNS's message ids. The message is encoded once
// for all topics. It stops at the first failure: the error names that
// topic, and ids holds those already sent. Each request goes to its topic's
// own region, whatever region the client was made for.
//
// The message attributes (state, region, account, image_id) are attached
// for completeness, but SNS documents that it delivers attributes only for
// String-structured messages: subscribers should not rely on them.
func Publish(ctx context.Context, p Publisher, topics []string, n Notification, m Message) (ids []string, err error) {
	body, err := m.Structure()
	if err != nil {
		return nil, err
	}
	attrs := attributes(n.Change)
	if size := messageSize(body, m.Subject, attrs); size > MaxMessageBytes {
		return nil, fmt.Errorf("publish %s: %d bytes: %w", n.Change.ImageID, size, ErrTooLarge)
	}
	for _, topic := range topics {
		in := &sns.PublishInput{
			TopicArn:          aws.String(topic),
			Message:           aws.String(body),
			MessageStructure:  aws.String("json"),
			Subject:           aws.String(m.Subject),
			MessageAttributes: attrs,
		}
		var opts []func(*sns.Options)
		if region := arnRegion(topic); region != "" {
			opts = append(opts, func(o *sns.Options) { o.Region = region })
		}
		out, err := p.Publish(ctx, in, opts...)
		if err != nil {
			return ids, fmt.Errorf("publish to %s: %w", topic, err)
		}
		ids = append(ids, aws.ToString(out.MessageId))
	}
	return ids, nil
}

// attributes returns the String message attributes of a change. Empty
// values are left out: SNS rejects an attribute without a value.
func attributes(c StateChange) map[string]snstypes.MessageAttributeValue {
	attrs := make(map[string]snstypes.MessageAttributeValue, 4)
	for _, kv := range [...][2]string{
		{"state", c.State},
		{"region", c.Region},
		{"account", c.Account},
		{"image_id", c.ImageID},
	} {
		if kv[1] != "" {
			attrs[kv[0]] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(kv[1])}
		}
	}
	return attrs
}

// messageSize counts what SNS counts against its limit: the message, the
// subject and every attribute's name, type and value, in bytes.
func messageSize(body, subject string, attrs map[string]snstypes.MessageAttributeValue) int {
	n := len(body) + len(subject)
	for k, v := range attrs {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	return n
}

// arnRegion returns the region field of an ARN
// (arn:partition:service:region:account:resource), or "" if it has none.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[3]
}
