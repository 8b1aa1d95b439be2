// Package notify owns ami-notify's vocabulary: the state change an EC2
// event reports, the image details a reader cares about, and the
// notification that joins them. It renders a notification into one message
// per SNS protocol and publishes it. It knows nothing of EventBridge or EC2.
package notify

import "time"

// The AMI states EC2 reports in "EC2 AMI State Change" events. Any other
// state is rendered with a generic message rather than rejected.
const (
	StateAvailable    = "available"
	StateFailed       = "failed"
	StateDeregistered = "deregistered"
	StateDisabled     = "disabled"
)

// StateChange is what the event itself says, decoded and validated.
type StateChange struct {
	EventID      string
	Account      string
	Region       string
	ImageID      string
	State        string
	RequestID    string
	ErrorMessage string
	// Time is when EC2 emitted the event; zero when the event's time was not
	// RFC 3339 (documentation examples carry placeholders).
	Time time.Time
	// RawTime is the event's time exactly as it arrived.
	RawTime string
}

// Image holds the details DescribeImages gave, in a reader's terms.
type Image struct {
	Name               string
	Description        string
	OwnerID            string
	OwnerAlias         string
	ImageState         string // what DescribeImages says now, which may differ from the event's state
	Architecture       string
	Platform           string // "windows" or empty
	PlatformDetails    string
	VirtualizationType string
	RootDeviceType     string
	RootDeviceName     string
	BootMode           string
	ENASupport         bool
	IMDSSupport        string
	CreationDate       string // as EC2 reports it (ISO 8601)
	DeprecationTime    string
	Public             bool
	SourceImageID      string // for copies, where the SDK reports it
	SourceRegion       string
	StateReason        string // EC2's code and message for failures
	BlockDevices       []BlockDevice
	Tags               []Tag // sorted by key
}

// BlockDevice is one block device mapping of the image.
type BlockDevice struct {
	DeviceName string
	SnapshotID string
	SizeGiB    int32
	VolumeType string
	Encrypted  bool
}

// Tag is one image tag.
type Tag struct {
	Key   string
	Value string
}

// Enrichment says how much the notification knows beyond the event.
type Enrichment string

const (
	// Enriched: DescribeImages returned the image.
	Enriched Enrichment = "enriched"
	// InRecycleBin: the image is deregistered but can still be restored.
	InRecycleBin Enrichment = "recycle_bin"
	// NotFound: EC2 no longer knows the image; only the event's facts remain.
	NotFound Enrichment = "not_found"
	// Unavailable: EC2 could not be asked (throttling, access denied,
	// timeout); the notification carries the event's facts only.
	Unavailable Enrichment = "unavailable"
)

// RecycleBin tells how long a deregistered image can still be restored.
type RecycleBin struct {
	Name      string
	EnterTime time.Time
	ExitTime  time.Time
}

// Notification joins a state change with whatever is known about its image.
type Notification struct {
	Change     StateChange
	Enrichment Enrichment
	// Image is set when DescribeImages returned the image: always for
	// Enriched, and for InRecycleBin when EC2 still showed the image.
	Image *Image
	// RecycleBin is set only for InRecycleBin.
	RecycleBin *RecycleBin
	// EnrichmentError is a short reason when Enrichment is Unavailable
	// (for example an AWS error code); it is shown to readers, so it must not
	// carry secrets.
	EnrichmentError string
}

// Public reports whether the image is known to be public.
func (n Notification) Public() bool { return n.Image != nil && n.Image.Public }

// Name is the image name when known.
func (n Notification) Name() string {
	switch {
	case n.Image != nil:
		return n.Image.Name
	case n.RecycleBin != nil:
		return n.RecycleBin.Name
	}
	return ""
}
