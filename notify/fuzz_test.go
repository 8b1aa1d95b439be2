package notify

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzRender renders notifications made of arbitrary strings and checks
// every channel's rules (checkMessage): a valid subject that keeps state,
// image id and region, a one-segment SMS, valid push payloads of at most
// 4,096 bytes, a Structure() of valid JSON within SNS's size limit, and no
// panic. Plain `go test` runs the seeds below and testdata/fuzz; run
// `go test -fuzz=FuzzRender -fuzztime=60s ./notify` to search for more.
func FuzzRender(f *testing.F) {
	f.Add("web-server-2026", "Built by Packer", "Environment", "production", "", "available", "ami-0a1b2c3d4e5f67890", "eu-west-1", "3f6c2b9e-8d7a-4c1b-9e2f-0a1b2c3d4e5f", "2026-03-14T09:26:53Z", false, uint8(0), uint8(3))
	f.Add("", "", "", "", "Snapshot failed", "failed", "ami-0a1b2c3d4e5f67890", "us-gov-west-1", "id", "yyyy-mm-ddThh:mm:ssZ", false, uint8(3), uint8(0))
	f.Add("Evil\nSubject: x\r\n\u202egnp.exe", "\x00\x07\u2028{}[]~^\\|€", "k\n", "v\t", "<script>", "deregistered", "ami-1", "cn-north-1", "e", "", true, uint8(1), uint8(1))
	f.Add(strings.Repeat("ü🚀x", 100), strings.Repeat("\"<&>", 300), strings.Repeat("鍵", 128), strings.Repeat("<\"値>", 64), strings.Repeat("\\", 2000), "disabled", "ami-"+strings.Repeat("f", 40), strings.Repeat("r", 40), strings.Repeat("e", 300), strings.Repeat("t", 300), true, uint8(0), uint8(255))
	f.Add("n", "d", "", "", "", "", "", "", "", "", false, uint8(2), uint8(0))
	f.Add("zero\u200bwidth\u00ad", "tag\U000E0041s", "k\u2060", "v\u00a0", "e\u200d", "failed", "ami-0a1b2c3d", "us-east-1", "e", "", false, uint8(0), uint8(1))
	f.Add(strings.Repeat("n", 128), "", "aws:backup:source-resource", "arn:aws:ec2:eu-west-1::image/ami-1", "", "transient", "ami-0a1b2c3d4e5f67890", "ap-southeast-5", "x", "2026-03-14T09:26:53Z", true, uint8(0), uint8(60))
	f.Add("\xff\xfe", "\xc3\x28", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xff", "ami-\xff", "eu-\xfe", "\x80", "\xc0\xaf", false, uint8(0), uint8(2))

	r := newTestRenderer(f)
	f.Fuzz(func(t *testing.T, name, description, tagKey, tagValue, errText, state, imageID, region, eventID, rawTime string, public bool, enrichment, tagCount uint8) {
		n := Notification{
			Change: StateChange{
				EventID:      eventID,
				Account:      "123456789012",
				Region:       region,
				ImageID:      imageID,
				State:        state,
				RequestID:    eventID,
				ErrorMessage: errText,
				RawTime:      rawTime,
			},
		}
		if parsed, err := time.Parse(time.RFC3339, rawTime); err == nil {
			n.Change.Time = parsed
		}
		switch enrichment % 4 {
		case 0:
			n.Enrichment = Enriched
			n.Image = &Image{
				Name:            name,
				Description:     description,
				OwnerAlias:      tagValue,
				ImageState:      state,
				PlatformDetails: description,
				RootDeviceName:  tagKey,
				Public:          public,
				SourceImageID:   imageID,
				SourceRegion:    region,
				StateReason:     errText,
				BlockDevices: []BlockDevice{
					{DeviceName: tagKey, SnapshotID: tagValue, SizeGiB: int32(tagCount), VolumeType: name, Encrypted: public},
				},
			}
			// Many tags, with distinct keys unless tagKey is long enough
			// for cutting to make them equal.
			for i := range int(tagCount) {
				n.Image.Tags = append(n.Image.Tags, Tag{Key: tagKey + strconv.Itoa(i), Value: tagValue})
			}
		case 1:
			n.Enrichment = InRecycleBin
			n.RecycleBin = &RecycleBin{Name: name, EnterTime: n.Change.Time, ExitTime: n.Change.Time.Add(time.Duration(tagCount) * time.Hour)}
		case 2:
			n.Enrichment = NotFound
		case 3:
			n.Enrichment = Unavailable
			n.EnrichmentError = description
		}

		m, err := r.Render(n)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		checkMessage(t, r, n, m)
	})
}
