package ami

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ami-notify/ami-notify/notify"
)

// fakeEC2 answers DescribeImages and ListImagesInRecycleBin from fixed values
// and records the requests it saw.
type fakeEC2 struct {
	images     []ec2types.Image
	err        error
	bin        []ec2types.ImageRecycleBinInfo
	binErr     error
	block      bool // wait for the context to end, like a hung endpoint
	mu         sync.Mutex
	describes  []*ec2.DescribeImagesInput
	binQueries int
}

func (f *fakeEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	f.mu.Lock()
	f.describes = append(f.describes, in)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	return &ec2.DescribeImagesOutput{Images: f.images}, nil
}

func (f *fakeEC2) ListImagesInRecycleBin(_ context.Context, _ *ec2.ListImagesInRecycleBinInput, _ ...func(*ec2.Options)) (*ec2.ListImagesInRecycleBinOutput, error) {
	f.mu.Lock()
	f.binQueries++
	f.mu.Unlock()
	if f.binErr != nil {
		return nil, f.binErr
	}
	return &ec2.ListImagesInRecycleBinOutput{Images: f.bin}, nil
}

const testImageID = "ami-0a1b2c3d4e5f60718"

func richImage() ec2types.Image {
	return ec2types.Image{
		ImageId:            aws.String(testImageID),
		Name:               aws.String("platform-al2023-base-2026.11.26"),
		Description:        aws.String("Amazon Linux 2023 base"),
		OwnerId:            aws.String("123456789012"),
		ImageOwnerAlias:    aws.String("self"),
		State:              ec2types.ImageStateAvailable,
		Architecture:       ec2types.ArchitectureValuesArm64,
		PlatformDetails:    aws.String("Linux/UNIX"),
		VirtualizationType: ec2types.VirtualizationTypeHvm,
		RootDeviceType:     ec2types.DeviceTypeEbs,
		RootDeviceName:     aws.String("/dev/xvda"),
		BootMode:           ec2types.BootModeValuesUefi,
		EnaSupport:         aws.Bool(true),
		ImdsSupport:        ec2types.ImdsSupportValuesV20,
		CreationDate:       aws.String("2026-11-26T09:10:00.000Z"),
		Public:             aws.Bool(true),
		SourceImageId:      aws.String("ami-0fedcba9876543210"),
		SourceImageRegion:  aws.String("us-west-2"),
		StateReason:        &ec2types.StateReason{Code: aws.String("Client.Error"), Message: aws.String("bad")},
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvdb"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-2"), VolumeSize: aws.Int32(100), VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(true)}},
			{DeviceName: aws.String("/dev/sdc"), VirtualName: aws.String("ephemeral0")},
		},
		Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("Name"), Value: aws.String("base")}},
	}
}

func change(state string) notify.StateChange {
	return notify.StateChange{EventID: "ev-1", Region: "eu-west-1", ImageID: testImageID, State: state}
}

func TestEnrich(t *testing.T) {
	exit := time.Date(2026, 12, 6, 11, 45, 3, 0, time.UTC)
	tests := []struct {
		name           string
		fake           *fakeEC2
		state          string
		want           notify.Enrichment
		wantImage      bool
		wantBin        bool
		wantReason     string
		wantErr        bool
		wantBinQueries int
	}{
		{name: "found", fake: &fakeEC2{images: []ec2types.Image{richImage()}}, state: "available", want: notify.Enriched, wantImage: true},
		{name: "empty list", fake: &fakeEC2{}, state: "available", want: notify.NotFound, wantBinQueries: 1},
		{name: "NotFound error", fake: &fakeEC2{err: &smithy.GenericAPIError{Code: "InvalidAMIID.NotFound"}}, state: "deregistered", want: notify.NotFound, wantBinQueries: 1},
		{name: "other image returned", fake: &fakeEC2{images: []ec2types.Image{{ImageId: aws.String("ami-0000000000000000f")}}}, state: "available", want: notify.NotFound, wantBinQueries: 1},
		{name: "deregistered in recycle bin", fake: &fakeEC2{bin: []ec2types.ImageRecycleBinInfo{{ImageId: aws.String(testImageID), Name: aws.String("old"), RecycleBinExitTime: aws.Time(exit)}}}, state: "deregistered", want: notify.InRecycleBin, wantBin: true, wantBinQueries: 1},
		{name: "deregistered, still described, in recycle bin", fake: &fakeEC2{images: []ec2types.Image{richImage()}, bin: []ec2types.ImageRecycleBinInfo{{ImageId: aws.String(testImageID), RecycleBinExitTime: aws.Time(exit)}}}, state: "deregistered", want: notify.InRecycleBin, wantImage: true, wantBin: true, wantBinQueries: 1},
		{name: "deregistered, still described, bin unreadable", fake: &fakeEC2{images: []ec2types.Image{richImage()}, binErr: errors.New("boom")}, state: "deregistered", want: notify.Enriched, wantImage: true, wantErr: true, wantBinQueries: 1},
		{name: "not found, bin unreadable", fake: &fakeEC2{binErr: &smithy.GenericAPIError{Code: "UnauthorizedOperation"}}, state: "deregistered", want: notify.NotFound, wantErr: true, wantBinQueries: 1},
		{name: "throttled", fake: &fakeEC2{err: &smithy.GenericAPIError{Code: "RequestLimitExceeded"}}, state: "available", want: notify.Unavailable, wantReason: "RequestLimitExceeded", wantErr: true},
		{name: "access denied", fake: &fakeEC2{err: &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized; encoded message: secret"}}, state: "failed", want: notify.Unavailable, wantReason: "UnauthorizedOperation", wantErr: true},
		{name: "timeout", fake: &fakeEC2{block: true}, state: "available", want: notify.Unavailable, wantReason: "timeout", wantErr: true},
		{name: "network error", fake: &fakeEC2{err: errors.New("dial tcp: connection reset by peer")}, state: "available", want: notify.Unavailable, wantReason: "request failed", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEC2Enricher(func(string) EC2API { return tt.fake }, 50*time.Millisecond)
			n, err := e.Enrich(context.Background(), change(tt.state))
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error: %v", err, tt.wantErr)
			}
			if n.Enrichment != tt.want {
				t.Errorf("got enrichment %q, want %q", n.Enrichment, tt.want)
			}
			if (n.Image != nil) != tt.wantImage {
				t.Errorf("got image %v, want image: %v", n.Image, tt.wantImage)
			}
			if (n.RecycleBin != nil) != tt.wantBin {
				t.Errorf("got recycle bin %v, want one: %v", n.RecycleBin, tt.wantBin)
			}
			if tt.wantBin && !n.RecycleBin.ExitTime.Equal(exit) {
				t.Errorf("got exit time %v, want %v", n.RecycleBin.ExitTime, exit)
			}
			if n.EnrichmentError != tt.wantReason {
				t.Errorf("got reason %q, want %q", n.EnrichmentError, tt.wantReason)
			}
			if tt.fake.binQueries != tt.wantBinQueries {
				t.Errorf("got %d recycle bin queries, want %d", tt.fake.binQueries, tt.wantBinQueries)
			}
			if n.Change.ImageID != testImageID {
				t.Errorf("got change %+v, want the event's facts kept", n.Change)
			}
			in := tt.fake.describes[0]
			if !aws.ToBool(in.IncludeDisabled) || len(in.ImageIds) != 1 || in.ImageIds[0] != testImageID {
				t.Errorf("got DescribeImages input %+v, want the image id with IncludeDisabled", in)
			}
		})
	}
}

func TestImageDetails(t *testing.T) {
	im := richImage()
	got := imageDetails(&im)
	checks := []struct{ name, got, want string }{
		{"Name", got.Name, "platform-al2023-base-2026.11.26"},
		{"OwnerAlias", got.OwnerAlias, "self"},
		{"Architecture", got.Architecture, "arm64"},
		{"BootMode", got.BootMode, "uefi"},
		{"IMDSSupport", got.IMDSSupport, "v2.0"},
		{"SourceImageID", got.SourceImageID, "ami-0fedcba9876543210"},
		{"SourceRegion", got.SourceRegion, "us-west-2"},
		{"StateReason", got.StateReason, "Client.Error: bad"},
		{"first tag (sorted)", got.Tags[0].Key, "Name"},
		{"snapshot", got.BlockDevices[0].SnapshotID, "snap-2"},
		{"instance store device", got.BlockDevices[1].DeviceName, "/dev/sdc"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !got.Public || !got.ENASupport || !got.BlockDevices[0].Encrypted || got.BlockDevices[0].SizeGiB != 100 {
		t.Errorf("got %+v, want public, ENA, an encrypted 100 GiB volume", got)
	}
}

func TestJoinNonEmpty(t *testing.T) {
	for _, tt := range []struct{ code, msg, want string }{
		{"Client.Error", "bad", "Client.Error: bad"},
		{"", "bad", "bad"},
		{"Client.Error", "", "Client.Error"},
		{"", "", ""},
	} {
		if got := joinNonEmpty(tt.code, tt.msg); got != tt.want {
			t.Errorf("joinNonEmpty(%q, %q): got %q, want %q", tt.code, tt.msg, got, tt.want)
		}
	}
}

func TestEnricherReusesClientPerRegion(t *testing.T) {
	made := map[string]int{}
	e := NewEC2Enricher(func(region string) EC2API {
		made[region]++
		return &fakeEC2{}
	}, time.Second)
	for _, region := range []string{"us-east-1", "eu-west-1", "us-east-1", "us-east-1"} {
		c := change("available")
		c.Region = region
		if _, err := e.Enrich(context.Background(), c); err != nil {
			t.Fatalf("Enrich: %v", err)
		}
	}
	if made["us-east-1"] != 1 || made["eu-west-1"] != 1 {
		t.Errorf("got clients made %v, want one per region", made)
	}
}

func TestReasonHidesDetails(t *testing.T) {
	err := &smithy.GenericAPIError{Code: "AccessDenied", Message: "arn:aws:iam::123456789012:role/secret-role is not authorized"}
	if got := reason(err); strings.Contains(got, "arn:") || got != "AccessDenied" {
		t.Errorf("got %q, want only the error code", got)
	}
}

// The SDK's client satisfies EC2API too; the assertion lives in a test so
// that the function's binary does not link the SDK's EC2 client.
var _ EC2API = (*ec2.Client)(nil)
