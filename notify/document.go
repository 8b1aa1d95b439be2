package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DocumentSchemaVersion is the version of Document. It changes only when a
// key is removed or changes meaning; new keys may appear within a version.
const DocumentSchemaVersion = 1

// Document is the machine-readable JSON that SNS delivers to sqs, lambda,
// http, https, email-json and firehose subscribers. Keys are snake_case and
// always present: a string that is unknown is "", an object that does not
// apply is null, so consumers need no existence checks.
//
// Strings are the values as EC2 and the event gave them (line breaks
// included), except that invalid UTF-8 becomes U+FFFD and values longer
// than EC2 allows are cut with "…". When even that would make the SNS
// message too large (SNS takes 262,144 bytes and the document is repeated
// for six protocols), tags and block devices are left out or shortened
// further and Truncated is true.
type Document struct {
	// SchemaVersion is DocumentSchemaVersion.
	SchemaVersion int `json:"schema_version"`
	// Event is what the EventBridge event said.
	Event DocumentEvent `json:"event"`
	// Summary is the one-line, human-readable summary used in the other
	// channels.
	Summary string `json:"summary"`
	// Enrichment says what is known beyond the event: "enriched" (Image is
	// set), "recycle_bin" (RecycleBin is set), "not_found" or "unavailable"
	// (EnrichmentError says why).
	Enrichment      string `json:"enrichment"`
	EnrichmentError string `json:"enrichment_error"`
	// Public is true when the image is known to be launchable by every AWS
	// account.
	Public bool `json:"public"`
	// ConsoleURL opens the image in the EC2 console of its region; "" for
	// partitions without a public console (ISO regions) or an unusable
	// region.
	ConsoleURL string `json:"console_url"`
	// Image is set for "enriched", and for "recycle_bin" when EC2 still
	// showed the image; null otherwise.
	Image *DocumentImage `json:"image"`
	// RecycleBin is null unless Enrichment is "recycle_bin".
	RecycleBin *DocumentRecycleBin `json:"recycle_bin"`
	// Truncated is true when values were cut or left out to respect the
	// limits above.
	Truncated bool `json:"truncated"`
}

// DocumentEvent holds the EventBridge event's own facts.
type DocumentEvent struct {
	ID      string `json:"id"`
	Time    string `json:"time"` // exactly as the event had it
	Account string `json:"account"`
	Region  string `json:"region"`
	ImageID string `json:"image_id"`
	// State is the event's detail.State: available, failed, deregistered,
	// disabled, or another state EC2 may add.
	State        string `json:"state"`
	RequestID    string `json:"request_id"`
	ErrorMessage string `json:"error_message"`
}

// DocumentImage is what DescribeImages said about the image.
type DocumentImage struct {
	Name               string `json:"name"`
	Description        string `json:"description"`
	OwnerID            string `json:"owner_id"`
	OwnerAlias         string `json:"owner_alias"`
	State              string `json:"state"` // DescribeImages' ImageState now, which may differ from the event's
	Architecture       string `json:"architecture"`
	Platform           string `json:"platform"` // "windows" or ""
	PlatformDetails    string `json:"platform_details"`
	VirtualizationType string `json:"virtualization_type"`
	RootDeviceType     string `json:"root_device_type"`
	RootDeviceName     string `json:"root_device_name"`
	BootMode           string `json:"boot_mode"`
	ENASupport         bool   `json:"ena_support"`
	IMDSSupport        string `json:"imds_support"`
	CreationDate       string `json:"creation_date"`    // as EC2 reports it (ISO 8601)
	DeprecationTime    string `json:"deprecation_time"` // as EC2 reports it, "" when none
	Public             bool   `json:"public"`
	SourceImageID      string `json:"source_image_id"` // for copies, where EC2 reports it
	SourceRegion       string `json:"source_region"`
	StateReason        string `json:"state_reason"`
	// BlockDevices lists the image's block device mappings in EC2's order.
	BlockDevices []DocumentBlockDevice `json:"block_devices"`
	// Tags is an object from tag key to value. EC2 tag keys are unique per
	// image, so an object loses nothing, and it lets consumers (jq, SNS
	// payload-based filter policies, EventBridge Pipes) address one tag
	// by its key, which a list of key/value pairs does not.
	Tags DocumentTags `json:"tags"`
}

// DocumentBlockDevice is one block device mapping.
type DocumentBlockDevice struct {
	DeviceName string `json:"device_name"`
	SnapshotID string `json:"snapshot_id"`
	SizeGiB    int32  `json:"size_gib"`
	VolumeType string `json:"volume_type"`
	Encrypted  bool   `json:"encrypted"`
}

// DocumentRecycleBin tells how long a deregistered image can be restored.
type DocumentRecycleBin struct {
	Name      string `json:"name"`
	EnterTime string `json:"enter_time"` // RFC 3339, UTC; "" when unknown
	ExitTime  string `json:"exit_time"`  // RFC 3339, UTC: restorable until then
}

// DocumentTags are the image tags, sorted by key. In JSON they are an
// object ({"key": "value", ...}) written in key order, so the document is
// byte-for-byte stable.
type DocumentTags []Tag

// MarshalJSON writes the tags as one JSON object in slice order.
func (t DocumentTags) MarshalJSON() ([]byte, error) {
	size := 2
	for _, tag := range t {
		size += len(tag.Key) + len(tag.Value) + 6
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, tag := range t {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, tag.Key)
		b = append(b, ':')
		b = appendJSONString(b, tag.Value)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads a JSON object of tags and sorts them by key.
func (t *DocumentTags) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode tags: %w", err)
	}
	tags := make(DocumentTags, 0, len(m))
	for k, v := range m {
		tags = append(tags, Tag{Key: k, Value: v})
	}
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	*t = tags
	return nil
}

// limits bound what one rendering may carry. Render starts with the first
// entry, whose bounds are EC2's own maxima (so real data is never cut), and
// takes the next one only when the SNS message would be too large.
type limits struct {
	name        int // runes
	description int
	text        int // error messages, state reasons
	short       int // ids, enumerations, dates
	tagKey      int
	tagValue    int
	tags        int // how many tags
	devices     int // how many block devices
}

// ladder goes from complete to small. The last entry is small enough that
// any input fits: at most about 40 strings of 64 runes per document, each
// at most 7 bytes per rune once escaped twice (JSON in the JSON of the SNS
// message), six times over, is well under the limit.
var ladder = [...]limits{
	// EC2 maxima: name 128, description 255, tag key 128 and value 256
	// characters, 50 user tags (aws: tags come on top).
	{name: 128, description: 255, text: 1024, short: 128, tagKey: 128, tagValue: 256, tags: 64, devices: 64},
	{name: 128, description: 255, text: 512, short: 64, tagKey: 64, tagValue: 64, tags: 32, devices: 16},
	{name: 64, description: 64, text: 64, short: 64, tagKey: 0, tagValue: 0, tags: 0, devices: 0},
}

// Time layouts: readers get UTC with its name; machines get RFC 3339.
const (
	readableTime = "2006-01-02 15:04:05 UTC"
	machineTime  = time.RFC3339
)

// docBuilder fills a Document and remembers whether anything was cut.
type docBuilder struct {
	lim       limits
	truncated bool
}

// text returns s fit for the document, noting when it had to be cut.
func (d *docBuilder) text(s string, max int) string {
	out := clean(s, max, modeText)
	if len(out) < len(s) && utf8.RuneCountInString(s) > max {
		d.truncated = true
	}
	return out
}

// document builds the Document for n within lim. summary and consoleURL
// come from the renderer, which needs them for the other channels too.
func document(n Notification, lim limits, summary, consoleURL string) Document {
	d := docBuilder{lim: lim}
	c := n.Change
	doc := Document{
		SchemaVersion: DocumentSchemaVersion,
		Event: DocumentEvent{
			ID:           d.text(c.EventID, lim.short),
			Time:         d.text(c.RawTime, lim.short),
			Account:      d.text(c.Account, lim.short),
			Region:       d.text(c.Region, lim.short),
			ImageID:      d.text(c.ImageID, lim.short),
			State:        d.text(c.State, lim.short),
			RequestID:    d.text(c.RequestID, lim.short),
			ErrorMessage: d.text(c.ErrorMessage, lim.text),
		},
		Summary:         summary,
		Enrichment:      d.text(string(n.Enrichment), lim.short),
		EnrichmentError: d.text(n.EnrichmentError, lim.text),
		Public:          n.Public(),
		ConsoleURL:      consoleURL,
	}
	if c.RawTime == "" && !c.Time.IsZero() {
		doc.Event.Time = c.Time.UTC().Format(machineTime)
	}
	if n.Image != nil {
		doc.Image = d.image(n.Image)
	}
	if rb := n.RecycleBin; rb != nil {
		doc.RecycleBin = &DocumentRecycleBin{
			Name:      d.text(rb.Name, lim.name),
			EnterTime: formatTime(rb.EnterTime, machineTime),
			ExitTime:  formatTime(rb.ExitTime, machineTime),
		}
	}
	doc.Truncated = d.truncated
	return doc
}

func (d *docBuilder) image(img *Image) *DocumentImage {
	b, moreTags, moreDevices := boundedImage(img, d.lim, d.text)
	if moreTags > 0 || moreDevices > 0 {
		d.truncated = true
	}
	out := &DocumentImage{
		Name:               b.Name,
		Description:        b.Description,
		OwnerID:            b.OwnerID,
		OwnerAlias:         b.OwnerAlias,
		State:              b.ImageState,
		Architecture:       b.Architecture,
		Platform:           b.Platform,
		PlatformDetails:    b.PlatformDetails,
		VirtualizationType: b.VirtualizationType,
		RootDeviceType:     b.RootDeviceType,
		RootDeviceName:     b.RootDeviceName,
		BootMode:           b.BootMode,
		ENASupport:         b.ENASupport,
		IMDSSupport:        b.IMDSSupport,
		CreationDate:       b.CreationDate,
		DeprecationTime:    b.DeprecationTime,
		Public:             b.Public,
		SourceImageID:      b.SourceImageID,
		SourceRegion:       b.SourceRegion,
		StateReason:        b.StateReason,
		BlockDevices:       make([]DocumentBlockDevice, len(b.BlockDevices)),
		Tags:               make(DocumentTags, 0, len(b.Tags)),
	}
	for i, bd := range b.BlockDevices {
		out.BlockDevices[i] = DocumentBlockDevice(bd)
	}
	for _, t := range b.Tags {
		// Keys are unique in EC2; cutting two long keys can make them
		// equal, and an object must not repeat a key.
		if k := len(out.Tags); k > 0 && out.Tags[k-1].Key == t.Key {
			d.truncated = true
			continue
		}
		out.Tags = append(out.Tags, t)
	}
	return out
}

// sortedTags returns tags sorted by key, copying only when they are not
// sorted already (the handler sorts them).
func sortedTags(tags []Tag) []Tag {
	less := func(a, b Tag) int { return strings.Compare(a.Key, b.Key) }
	if slices.IsSortedFunc(tags, less) {
		return tags
	}
	sorted := slices.Clone(tags)
	slices.SortStableFunc(sorted, less)
	return sorted
}

// formatTime formats t in UTC, or returns "" for the zero time.
func formatTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}

// marshalJSON encodes v as encoding/json does but without HTML escaping:
// '<', '>' and '&' need no escaping in JSON, and escaping them would make
// the document (which SNS repeats for six protocols) up to six times larger.
func marshalJSON(buf *bytes.Buffer, v any) (string, error) {
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})), nil
}
