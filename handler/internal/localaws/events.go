package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// Event is one sample event from events/, with the fields the harness needs
// to set up moto and to know what should happen.
type Event struct {
	// Name is the file name without .json, e.g. "failed".
	Name    string
	Path    string
	Payload []byte

	ID         string `json:"id"`
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Account    string `json:"account"`
	Time       string `json:"time"`
	Region     string `json:"region"`
	Detail     struct {
		RequestID    string `json:"RequestId"`
		ImageID      string `json:"ImageId"`
		State        string `json:"State"`
		ErrorMessage string `json:"ErrorMessage"`
	} `json:"detail"`
}

// WantRejected reports whether the function must reject the event: it is
// not an AMI state change from EC2, or it names no image. This mirrors the
// function's contract, read from the event itself rather than its file name.
func (e Event) WantRejected() bool {
	return e.Source != "aws.ec2" || e.DetailType != "EC2 AMI State Change" || strings.TrimSpace(e.Detail.ImageID) == ""
}

// LoadEvents reads every events/*.json of the module, sorted by name.
func LoadEvents() ([]Event, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if len(paths) == 0 {
		return nil, errors.New("localaws: no events/*.json")
	}
	sort.Strings(paths)
	events := make([]Event, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		e := Event{Name: strings.TrimSuffix(filepath.Base(p), ".json"), Path: p, Payload: b}
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("decode %s: %w", p, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// PrepareImages makes moto agree with the events: the seeded images exist
// in every region, so the image of each "deregistered" event is deregistered
// in that event's region (DescribeImages then returns nothing, as on real
// EC2 shortly after DeregisterImage). Run it once per moto, and again after
// Reset.
func PrepareImages(ctx context.Context, m *Moto, events []Event) error {
	for _, e := range events {
		if e.WantRejected() || e.Detail.State != "deregistered" {
			continue
		}
		client := ec2.NewFromConfig(m.Config(e.Region))
		_, err := client.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(e.Detail.ImageID)})
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && strings.HasPrefix(apiErr.ErrorCode(), "InvalidAMIID.") {
			continue // already gone: PrepareImages ran before on this moto
		}
		if err != nil {
			return fmt.Errorf("deregister %s in %s: %w", e.Detail.ImageID, e.Region, err)
		}
	}
	return nil
}

// CopyImage copies a seeded image into region and tags the copy (moto's
// CopyImage, like EC2's, copies no tags). The copy's id exists in that
// region only, unlike the seeded images, which moto puts in every region.
func CopyImage(ctx context.Context, m *Moto, sourceID, sourceRegion, region string, tags map[string]string) (string, error) {
	client := ec2.NewFromConfig(m.Config(region))
	out, err := client.CopyImage(ctx, &ec2.CopyImageInput{
		SourceImageId: aws.String(sourceID),
		SourceRegion:  aws.String(sourceRegion),
		Name:          aws.String("copy-of-" + sourceID),
	})
	if err != nil {
		return "", fmt.Errorf("copy %s from %s to %s: %w", sourceID, sourceRegion, region, err)
	}
	id := aws.ToString(out.ImageId)
	if len(tags) == 0 {
		return id, nil
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ts := make([]ec2types.Tag, 0, len(tags))
	for _, k := range keys {
		ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	if _, err := client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ts}); err != nil {
		return "", fmt.Errorf("tag %s in %s: %w", id, region, err)
	}
	return id, nil
}

// SeedImage is one entry of the MOTO_AMIS_PATH list.
type SeedImage struct {
	ImageID            string            `json:"ami_id"`
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	OwnerID            string            `json:"owner_id"`
	Public             bool              `json:"public"`
	VirtualizationType string            `json:"virtualization_type"`
	Architecture       string            `json:"architecture"`
	Platform           string            `json:"platform"`
	State              string            `json:"state"`
	RootDeviceType     string            `json:"root_device_type"`
	RootDeviceName     string            `json:"root_device_name"`
	BootMode           string            `json:"boot_mode"`
	Tags               map[string]string `json:"tags"`
}

// Seed returns the embedded seed images by id.
func Seed() (map[string]SeedImage, error) {
	var list []SeedImage
	if err := json.Unmarshal(seedImages, &list); err != nil {
		return nil, fmt.Errorf("decode seed images: %w", err)
	}
	m := make(map[string]SeedImage, len(list))
	for _, s := range list {
		m[s.ImageID] = s
	}
	return m, nil
}
