package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Subscribers is a topic with one subscriber of every kind the function
// renders for. moto delivers only to the SQS queues; what the email, SMS and
// push subscribers would get is read from the topic's sent_notifications.
type Subscribers struct {
	TopicARN string
	// QueueURL receives the SNS envelope ({Type, Message, Subject...}).
	QueueURL string
	// RawQueueURL has RawMessageDelivery=true: it receives the bare document.
	RawQueueURL string
	// Email and Phone are the email and SMS subscription endpoints.
	Email string
	Phone string
	// PlatformEndpointARN is a push endpoint (FCM) subscribed to the topic.
	PlatformEndpointARN string

	sqs *sqs.Client
}

// Subscribe creates topic name with its subscribers in cfg's region.
func Subscribe(ctx context.Context, cfg aws.Config, name string) (*Subscribers, error) {
	snsc := sns.NewFromConfig(cfg)
	sqsc := sqs.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create topic %s: %w", name, err)
	}
	s := &Subscribers{
		TopicARN: aws.ToString(topic.TopicArn),
		Email:    "ops@example.com",
		Phone:    "+15555550100",
		sqs:      sqsc,
	}
	sub := func(protocol, endpoint string, attrs map[string]string) error {
		_, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn:   topic.TopicArn,
			Protocol:   aws.String(protocol),
			Endpoint:   aws.String(endpoint),
			Attributes: attrs,
		})
		if err != nil {
			return fmt.Errorf("subscribe %s %s to %s: %w", protocol, endpoint, name, err)
		}
		return nil
	}
	for _, q := range []struct {
		suffix string
		raw    bool
		url    *string
	}{
		{"-envelope", false, &s.QueueURL},
		{"-raw", true, &s.RawQueueURL},
	} {
		url, arn, err := createQueue(ctx, sqsc, name+q.suffix)
		if err != nil {
			return nil, err
		}
		*q.url = url
		attrs := map[string]string{}
		if q.raw {
			attrs["RawMessageDelivery"] = "true"
		}
		if err := sub("sqs", arn, attrs); err != nil {
			return nil, err
		}
	}
	if err := sub("email", s.Email, nil); err != nil {
		return nil, err
	}
	if err := sub("sms", s.Phone, nil); err != nil {
		return nil, err
	}
	app, err := snsc.CreatePlatformApplication(ctx, &sns.CreatePlatformApplicationInput{
		Name:       aws.String(name + "-app"),
		Platform:   aws.String("GCM"),
		Attributes: map[string]string{"PlatformCredential": "local-test-credential"},
	})
	if err != nil {
		return nil, fmt.Errorf("create platform application: %w", err)
	}
	ep, err := snsc.CreatePlatformEndpoint(ctx, &sns.CreatePlatformEndpointInput{
		PlatformApplicationArn: app.PlatformApplicationArn,
		Token:                  aws.String("local-device-token"),
	})
	if err != nil {
		return nil, fmt.Errorf("create platform endpoint: %w", err)
	}
	s.PlatformEndpointARN = aws.ToString(ep.EndpointArn)
	if err := sub("application", s.PlatformEndpointARN, nil); err != nil {
		return nil, err
	}
	return s, nil
}

func createQueue(ctx context.Context, c *sqs.Client, name string) (url, arn string, err error) {
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue %s ARN: %w", name, err)
	}
	return aws.ToString(q.QueueUrl), attrs.Attributes["QueueArn"], nil
}

// Envelope is what SNS puts in an SQS queue without raw delivery.
type Envelope struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicARN  string `json:"TopicArn"`
	Subject   string `json:"Subject"`
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// Received returns every message body waiting in queueURL (up to max),
// deleting them, so the next call sees only newer ones.
func (s *Subscribers) Received(ctx context.Context, queueURL string, max int) ([]string, error) {
	var bodies []string
	for len(bodies) < max {
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(queueURL),
			MaxNumberOfMessages: int32(min(10, max-len(bodies))),
		})
		if err != nil {
			return bodies, fmt.Errorf("receive from %s: %w", queueURL, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{
				QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				return bodies, fmt.Errorf("delete from %s: %w", queueURL, err)
			}
		}
	}
	return bodies, nil
}

// ReceiveOne waits (up to timeout) for exactly one message in queueURL.
// moto delivers synchronously during Publish, so a short wait is plenty.
func (s *Subscribers) ReceiveOne(ctx context.Context, queueURL string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		bodies, err := s.Received(ctx, queueURL, 10)
		if err != nil {
			return "", err
		}
		switch {
		case len(bodies) == 1:
			return bodies[0], nil
		case len(bodies) > 1:
			return "", fmt.Errorf("%s: got %d messages, want 1", queueURL, len(bodies))
		case time.Now().After(deadline):
			return "", fmt.Errorf("%s: no message within %v", queueURL, timeout)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for %s: %w", queueURL, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DecodeEnvelope parses an SNS envelope.
func DecodeEnvelope(body string) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return e, fmt.Errorf("decode SNS envelope: %w", err)
	}
	return e, nil
}
