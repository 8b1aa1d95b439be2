package localaws

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestMotoSeedsEveryRegion(t *testing.T) {
	m := NewMoto(t, MotoOptions{})
	seed, err := Seed()
	if err != nil {
		t.Fatalf("%v", err)
	}
	if len(seed) < 5 {
		t.Fatalf("seed has %d images, want at least 5", len(seed))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, region := range []string{"us-east-1", "eu-central-1"} {
		t.Run(region, func(t *testing.T) {
			client := ec2.NewFromConfig(m.Config(region))
			for _, want := range seed {
				out, err := client.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{want.ImageID}})
				if err != nil {
					t.Fatalf("DescribeImages %s: %v", want.ImageID, err)
				}
				if len(out.Images) != 1 {
					t.Fatalf("DescribeImages %s: got %d images, want 1", want.ImageID, len(out.Images))
				}
				got := out.Images[0]
				if aws.ToString(got.Name) != want.Name {
					t.Errorf("%s name: got %q, want %q", want.ImageID, aws.ToString(got.Name), want.Name)
				}
				if string(got.Architecture) != want.Architecture {
					t.Errorf("%s architecture: got %q, want %q", want.ImageID, got.Architecture, want.Architecture)
				}
				if aws.ToBool(got.Public) != want.Public {
					t.Errorf("%s public: got %v, want %v", want.ImageID, aws.ToBool(got.Public), want.Public)
				}
				if len(got.Tags) != len(want.Tags) {
					t.Errorf("%s: got %d tags, want %d", want.ImageID, len(got.Tags), len(want.Tags))
				}
			}
		})
	}
}

func TestMotoResetAndData(t *testing.T) {
	m := NewMoto(t, MotoOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	subs, err := Subscribe(ctx, m.Config(DefaultRegion), "reset-test")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	d, err := m.Data(ctx)
	if err != nil {
		t.Fatalf("data: %v", err)
	}
	if d.Topic(subs.TopicARN) == nil {
		t.Fatalf("topic %s missing from data.json", subs.TopicARN)
	}
	if err := m.Reset(ctx); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if d, err = m.Data(ctx); err != nil {
		t.Fatalf("data after reset: %v", err)
	}
	if d.Topic(subs.TopicARN) != nil {
		t.Errorf("topic %s still there after reset", subs.TopicARN)
	}
}
