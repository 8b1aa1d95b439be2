package ami

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ami-notify/ami-notify/notify"
)

// EC2API is the part of EC2 the enricher uses.
type EC2API interface {
	ec2.DescribeImagesAPIClient
	ec2.ListImagesInRecycleBinAPIClient
}

// EC2Enricher looks images up in the region their event came from. It keeps
// one EC2 client per region, made when first needed and reused by later
// invocations of the same Lambda environment.
type EC2Enricher struct {
	newClient func(region string) EC2API
	timeout   time.Duration

	mu      sync.Mutex
	clients map[string]EC2API
}

// NewEC2Enricher returns an Enricher that makes clients with newClient and
// bounds each lookup (both EC2 calls with the SDK's retries) by timeout.
func NewEC2Enricher(newClient func(region string) EC2API, timeout time.Duration) *EC2Enricher {
	return &EC2Enricher{newClient: newClient, timeout: timeout, clients: map[string]EC2API{}}
}

func (e *EC2Enricher) client(region string) EC2API {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clients[region]
	if !ok {
		c = e.newClient(region)
		e.clients[region] = c
	}
	return c
}

// Enrich returns the notification for c. It never fails the notification:
// when EC2 cannot be asked, the notification carries the event's facts, is
// marked Unavailable, and the returned error says why (for the log).
func (e *EC2Enricher) Enrich(ctx context.Context, c notify.StateChange) (notify.Notification, error) {
	n := notify.Notification{Change: c}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	api := e.client(c.Region)

	img, err := describeImage(ctx, api, c.ImageID)
	if err != nil {
		n.Enrichment = notify.Unavailable
		n.EnrichmentError = reason(err)
		return n, fmt.Errorf("describe image %s in %s: %w", c.ImageID, c.Region, err)
	}
	if img != nil {
		n.Enrichment = notify.Enriched
		n.Image = img
	}
	// A deregistered image may still be restorable from the Recycle Bin;
	// DescribeImages keeps showing it only briefly, so ask whenever the
	// event says deregistered or EC2 no longer knows the image.
	if c.State != notify.StateDeregistered && img != nil {
		return n, nil
	}
	bin, err := recycleBin(ctx, api, c.ImageID)
	switch {
	case err != nil && img == nil:
		n.Enrichment = notify.NotFound
		return n, fmt.Errorf("image %s not found in %s; recycle bin: %w", c.ImageID, c.Region, err)
	case err != nil:
		// The image details are there; only the restore deadline is missing.
		return n, fmt.Errorf("recycle bin for %s in %s: %w", c.ImageID, c.Region, err)
	case bin != nil:
		n.Enrichment = notify.InRecycleBin
		n.RecycleBin = bin
	case img == nil:
		n.Enrichment = notify.NotFound
	}
	return n, nil
}

// describeImage returns nil, nil when EC2 no longer knows the image: real
// EC2 first shows a deregistered image, then returns an empty list, then
// InvalidAMIID.NotFound.
func describeImage(ctx context.Context, api ec2.DescribeImagesAPIClient, id string) (*notify.Image, error) {
	out, err := api.DescribeImages(ctx, &ec2.DescribeImagesInput{
		ImageIds:          []string{id},
		IncludeDisabled:   aws.Bool(true),
		IncludeDeprecated: aws.Bool(true),
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && strings.HasPrefix(apiErr.ErrorCode(), "InvalidAMIID.") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range out.Images {
		if aws.ToString(out.Images[i].ImageId) == id {
			return imageDetails(&out.Images[i]), nil
		}
	}
	return nil, nil
}

func recycleBin(ctx context.Context, api ec2.ListImagesInRecycleBinAPIClient, id string) (*notify.RecycleBin, error) {
	out, err := api.ListImagesInRecycleBin(ctx, &ec2.ListImagesInRecycleBinInput{ImageIds: []string{id}})
	if err != nil {
		return nil, err
	}
	for _, b := range out.Images {
		if aws.ToString(b.ImageId) == id {
			return &notify.RecycleBin{
				Name:      aws.ToString(b.Name),
				EnterTime: aws.ToTime(b.RecycleBinEnterTime),
				ExitTime:  aws.ToTime(b.RecycleBinExitTime),
			}, nil
		}
	}
	return nil, nil
}

// imageDetails converts the SDK's image into notify's terms.
func imageDetails(im *ec2types.Image) *notify.Image {
	d := &notify.Image{
		Name:               aws.ToString(im.Name),
		Description:        aws.ToString(im.Description),
		OwnerID:            aws.ToString(im.OwnerId),
		OwnerAlias:         aws.ToString(im.ImageOwnerAlias),
		ImageState:         string(im.State),
		Architecture:       string(im.Architecture),
		Platform:           string(im.Platform),
		PlatformDetails:    aws.ToString(im.PlatformDetails),
		VirtualizationType: string(im.VirtualizationType),
		RootDeviceType:     string(im.RootDeviceType),
		RootDeviceName:     aws.ToString(im.RootDeviceName),
		BootMode:           string(im.BootMode),
		ENASupport:         aws.ToBool(im.EnaSupport),
		IMDSSupport:        string(im.ImdsSupport),
		CreationDate:       aws.ToString(im.CreationDate),
		DeprecationTime:    aws.ToString(im.DeprecationTime),
		Public:             aws.ToBool(im.Public),
		SourceImageID:      aws.ToString(im.SourceImageId),
		SourceRegion:       aws.ToString(im.SourceImageRegion),
	}
	if r := im.StateReason; r != nil {
		d.StateReason = joinNonEmpty(aws.ToString(r.Code), aws.ToString(r.Message))
	}
	if len(im.BlockDeviceMappings) > 0 {
		d.BlockDevices = make([]notify.BlockDevice, 0, len(im.BlockDeviceMappings))
	}
	for _, m := range im.BlockDeviceMappings {
		b := notify.BlockDevice{DeviceName: aws.ToString(m.DeviceName)}
		if ebs := m.Ebs; ebs != nil {
			b.SnapshotID = aws.ToString(ebs.SnapshotId)
			b.SizeGiB = aws.ToInt32(ebs.VolumeSize)
			b.VolumeType = string(ebs.VolumeType)
			b.Encrypted = aws.ToBool(ebs.Encrypted)
		}
		d.BlockDevices = append(d.BlockDevices, b)
	}
	if len(im.Tags) > 0 {
		d.Tags = make([]notify.Tag, 0, len(im.Tags))
	}
	for _, t := range im.Tags {
		d.Tags = append(d.Tags, notify.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	slices.SortFunc(d.Tags, func(a, b notify.Tag) int { return strings.Compare(a.Key, b.Key) })
	return d
}

// reason is the short, reader-safe cause shown in a message when EC2 could
// not be asked: an AWS error code, or "timeout". Never the full error text,
// which may carry request ids and ARNs.
func reason(err error) string {
	var apiErr smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode()
	}
	return "request failed"
}

// joinNonEmpty joins code and message as "code: message", leaving out
// whichever is empty.
func joinNonEmpty(code, msg string) string {
	if code == "" || msg == "" {
		return code + msg
	}
	return code + ": " + msg
}
