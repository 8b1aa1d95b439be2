package notify

import (
	"strings"
	"time"
)

// renderCase is one notification the golden, property and benchmark tests
// render.
type renderCase struct {
	name string
	n    Notification
}

// eventTime is when the sample events happened.
var eventTime = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// change returns a typical state change in state.
func change(state string) StateChange {
	return StateChange{
		EventID:   "3f6c2b9e-8d7a-4c1b-9e2f-0a1b2c3d4e5f",
		Account:   "123456789012",
		Region:    "eu-west-1",
		ImageID:   "ami-0a1b2c3d4e5f67890",
		State:     state,
		RequestID: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
		Time:      eventTime,
		RawTime:   "2026-03-14T09:26:53Z",
	}
}

// webImage is a typical image with rich tags and two block devices.
func webImage() *Image {
	return &Image{
		Name:               "web-server-al2023-2026-03-14",
		Description:        "Web server on Amazon Linux 2023, built by Packer from main@4f2a9c1",
		OwnerID:            "123456789012",
		ImageState:         "available",
		Architecture:       "arm64",
		PlatformDetails:    "Linux/UNIX",
		VirtualizationType: "hvm",
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		BootMode:           "uefi",
		ENASupport:         true,
		IMDSSupport:        "v2.0",
		CreationDate:       "2026-03-14T09:14:02.000Z",
		DeprecationTime:    "2028-03-14T09:14:00.000Z",
		BlockDevices: []BlockDevice{
			{DeviceName: "/dev/xvda", SnapshotID: "snap-0123456789abcdef0", SizeGiB: 8, VolumeType: "gp3", Encrypted: true},
			{DeviceName: "/dev/sdf", SnapshotID: "snap-0fedcba9876543210", SizeGiB: 100, VolumeType: "io2", Encrypted: false},
		},
		Tags: []Tag{
			{Key: "CostCenter", Value: "cc-4711"},
			{Key: "Environment", Value: "production"},
			{Key: "Name", Value: "web-server"},
			{Key: "Owner", Value: "platform-team@example.com"},
			{Key: "aws:ec2:source-pipeline", Value: "arn:aws:imagebuilder:eu-west-1:123456789012:image-pipeline/web"},
		},
	}
}

// renderCases cover every state, every enrichment and hostile strings.
func renderCases() []renderCase {
	copied := webImage()
	copied.Name = "web-server-al2023-2026-03-14-copy"
	copied.Description = "[Copied ami-0aaaabbbbccccdddd0 from us-east-1] web-server-al2023-2026-03-14"
	copied.SourceImageID = "ami-0aaaabbbbccccdddd0"
	copied.SourceRegion = "us-east-1"
	copied.Tags = nil // CopyImage does not copy tags
	copiedChange := change(StateAvailable)
	copiedChange.Region = "eu-central-1"

	public := webImage()
	public.Name = "community-base-image"
	public.Public = true
	public.Tags = []Tag{{Key: "Name", Value: "community-base-image"}}
	public.BlockDevices = public.BlockDevices[:1]

	failedImage := webImage()
	failedImage.ImageState = "failed"
	failedImage.StateReason = "Client.InternalError: Client error on launch"
	failedImage.BlockDevices = nil
	failedChange := change(StateFailed)
	failedChange.ErrorMessage = "Snapshot snap-0123456789abcdef0 could not be copied: the KMS key is disabled"
	// The AWS documentation's example carries a placeholder time.
	failedChange.Time = time.Time{}
	failedChange.RawTime = "yyyy-mm-ddThh:mm:ssZ"

	disabledChange := change(StateDisabled)
	disabledChange.Region = "cn-north-1"
	disabledImage := webImage()
	disabledImage.ImageState = "disabled"
	disabledImage.Platform = "windows"
	disabledImage.PlatformDetails = "Windows"
	disabledImage.Architecture = "x86_64"
	disabledImage.Name = "Windows_Server-2022-English-Full-Base-2026.03.12"
	disabledImage.OwnerAlias = "amazon"
	disabledImage.OwnerID = "801119661308"
	disabledImage.BootMode = "legacy-bios"
	disabledImage.IMDSSupport = ""
	disabledImage.DeprecationTime = ""
	disabledImage.Tags = []Tag{{Key: "Team", Value: "windows"}}

	unknown := change("pending")
	unknown.Region = "us-gov-west-1"

	hostile := change("available\n")
	hostile.EventID = "id\"with\\quotes{}"
	hostile.ErrorMessage = "line one\nline two\r\n\tTabbed \x1b[31mred\x1b[0m {{.Name}} <script>alert(1)</script>"
	hostileImage := webImage()
	hostileImage.Name = "Evil\nSubject: injected\r\n\u202egnp.exe " + strings.Repeat("ü🚀x", 100)
	hostileImage.Description = "Quotes \"double\" and 'single', braces {} [] and a backslash \\ \x00\x07\u2028done 🎉"
	hostileImage.Public = true
	hostileImage.Tags = []Tag{
		{Key: "zeta\nkey", Value: "value\twith\ttabs"},
		{Key: "Alpha {}", Value: strings.Repeat("v", 300)},
		{Key: "emoji 🚀", Value: "\x00\x01\x02"},
	}

	// Real EC2 still describes an image for a short while after it was
	// deregistered: the event often arrives within that window.
	deregisteredImage := webImage()
	deregisteredImage.ImageState = "deregistered"

	return []renderCase{
		{name: "available-enriched", n: Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: webImage()}},
		{name: "available-copied", n: Notification{Change: copiedChange, Enrichment: Enriched, Image: copied}},
		{name: "available-public", n: Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: public}},
		{name: "failed", n: Notification{Change: failedChange, Enrichment: Enriched, Image: failedImage}},
		{name: "deregistered-recycle-bin", n: Notification{
			Change:     change(StateDeregistered),
			Enrichment: InRecycleBin,
			RecycleBin: &RecycleBin{
				Name:      "web-server-al2023-2026-03-14",
				EnterTime: eventTime,
				ExitTime:  eventTime.Add(7 * 24 * time.Hour),
			},
		}},
		{name: "deregistered-recycle-bin-described", n: Notification{
			Change:     change(StateDeregistered),
			Enrichment: InRecycleBin,
			Image:      deregisteredImage,
			RecycleBin: &RecycleBin{
				Name:      "web-server-al2023-2026-03-14",
				EnterTime: eventTime,
				ExitTime:  eventTime.Add(7 * 24 * time.Hour),
			},
		}},
		{name: "deregistered-not-found", n: Notification{Change: change(StateDeregistered), Enrichment: NotFound}},
		{name: "disabled", n: Notification{Change: disabledChange, Enrichment: Enriched, Image: disabledImage}},
		{name: "unknown-state", n: Notification{Change: unknown, Enrichment: NotFound}},
		{name: "unavailable-throttled", n: Notification{
			Change:          change(StateAvailable),
			Enrichment:      Unavailable,
			EnrichmentError: "RequestLimitExceeded: Request limit exceeded.",
		}},
		{name: "hostile-strings", n: Notification{Change: hostile, Enrichment: Enriched, Image: hostileImage}},
	}
}
