package ami

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// event builds an AMI state change payload with the given overrides of the
// top-level fields and the detail object (raw JSON values).
func event(top map[string]string, detail string) []byte {
	fields := map[string]string{
		"version":     `"0"`,
		"id":          `"7c5e2a91-3f0b-4d8e-9a61-2b4f8c0d1e37"`,
		"detail-type": `"EC2 AMI State Change"`,
		"source":      `"aws.ec2"`,
		"account":     `"123456789012"`,
		"time":        `"2026-11-26T09:14:52Z"`,
		"region":      `"us-east-1"`,
		"resources":   `["arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f60718"]`,
	}
	for k, v := range top {
		fields[k] = v
	}
	var b strings.Builder
	b.WriteString("{")
	for k, v := range fields {
		if v == "" {
			continue // drop the field
		}
		b.WriteString(`"` + k + `":` + v + ",")
	}
	b.WriteString(`"detail":` + detail + "}")
	return []byte(b.String())
}

const goodDetail = `{"RequestId":"4f2d8b6e","ImageId":"ami-0a1b2c3d4e5f60718","State":"available","ErrorMessage":""}`

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		// want: state, time (RFC 3339 or "" for zero), raw time; or wantErr
		// naming what was wrong.
		state, time, rawTime string
		wantErr              string
	}{
		{name: "available", payload: event(nil, goodDetail), state: "available", time: "2026-11-26T09:14:52Z", rawTime: "2026-11-26T09:14:52Z"},
		{name: "failed with error text", payload: event(nil, `{"ImageId":"ami-0a1b2c3d4e5f60718","State":"failed","ErrorMessage":"boom"}`), state: "failed", time: "2026-11-26T09:14:52Z", rawTime: "2026-11-26T09:14:52Z"},
		{name: "state is normalised", payload: event(nil, `{"ImageId":"ami-0a1b2c3d","State":" Disabled "}`), state: "disabled", time: "2026-11-26T09:14:52Z", rawTime: "2026-11-26T09:14:52Z"},
		{name: "unknown state is accepted", payload: event(nil, `{"ImageId":"ami-0a1b2c3d","State":"pending"}`), state: "pending", time: "2026-11-26T09:14:52Z", rawTime: "2026-11-26T09:14:52Z"},
		{name: "placeholder time from the docs", payload: event(map[string]string{"time": `"yyyy-mm-ddThh:mm:ssZ"`}, goodDetail), state: "available", rawTime: "yyyy-mm-ddThh:mm:ssZ"},
		{name: "missing time", payload: event(map[string]string{"time": ""}, goodDetail), state: "available"},
		{name: "time with offset becomes UTC", payload: event(map[string]string{"time": `"2026-11-26T10:14:52+01:00"`}, goodDetail), state: "available", time: "2026-11-26T09:14:52Z", rawTime: "2026-11-26T10:14:52+01:00"},

		{name: "other detail-type", payload: event(map[string]string{"detail-type": `"EC2 Instance State-change Notification"`}, goodDetail), wantErr: `detail-type "EC2 Instance State-change Notification"`},
		{name: "other source", payload: event(map[string]string{"source": `"aws.s3"`}, goodDetail), wantErr: `source "aws.s3"`},
		{name: "no detail", payload: []byte(`{"id":"x","source":"aws.ec2","detail-type":"EC2 AMI State Change","region":"us-east-1"}`), wantErr: "detail is missing"},
		{name: "null detail", payload: event(nil, `null`), wantErr: "detail is missing"},
		{name: "detail is a string", payload: event(nil, `"ami-0a1b2c3d"`), wantErr: "detail is not an object"},
		{name: "ImageId is a number", payload: event(nil, `{"ImageId":42,"State":"available"}`), wantErr: "detail is not an object"},
		{name: "no ImageId", payload: event(nil, `{"State":"available"}`), wantErr: "ImageId is missing or empty"},
		{name: "empty ImageId", payload: event(nil, `{"ImageId":"","State":"available"}`), wantErr: "ImageId is missing or empty"},
		{name: "ImageId not an AMI", payload: event(nil, `{"ImageId":"snap-0a1b2c3d","State":"available"}`), wantErr: `"snap-0a1b2c3d" is not an AMI id`},
		{name: "ImageId with upper case", payload: event(nil, `{"ImageId":"ami-0A1B2C3D","State":"available"}`), wantErr: "is not an AMI id"},
		{name: "no state", payload: event(nil, `{"ImageId":"ami-0a1b2c3d"}`), wantErr: "State is missing"},
		{name: "bad region", payload: event(map[string]string{"region": `"evil.example.com/"`}, goodDetail), wantErr: "is not an AWS region"},
		{name: "no region", payload: event(map[string]string{"region": ""}, goodDetail), wantErr: "is not an AWS region"},
		{name: "source is a number", payload: event(map[string]string{"source": `7`}, goodDetail), wantErr: "not a valid EventBridge event"},
		{name: "not an object", payload: []byte(`[1,2,3]`), wantErr: "not a valid EventBridge event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.payload)
			if tt.wantErr != "" {
				var rej *RejectedError
				if !errors.As(err, &rej) {
					t.Fatalf("got error %v, want a *RejectedError", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.State != tt.state {
				t.Errorf("got state %q, want %q", got.State, tt.state)
			}
			if got.RawTime != tt.rawTime {
				t.Errorf("got raw time %q, want %q", got.RawTime, tt.rawTime)
			}
			gotTime := ""
			if !got.Time.IsZero() {
				gotTime = got.Time.Format(time.RFC3339)
			}
			if gotTime != tt.time {
				t.Errorf("got time %q, want %q", gotTime, tt.time)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	got, err := Decode(event(nil, `{"RequestId":"req-1","ImageId":"ami-0a1b2c3d4e5f60718","State":"failed","ErrorMessage":"snapshot missing"}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	for _, f := range []struct{ name, got, want string }{
		{"EventID", got.EventID, "7c5e2a91-3f0b-4d8e-9a61-2b4f8c0d1e37"},
		{"Account", got.Account, "123456789012"},
		{"Region", got.Region, "us-east-1"},
		{"ImageID", got.ImageID, "ami-0a1b2c3d4e5f60718"},
		{"RequestID", got.RequestID, "req-1"},
		{"ErrorMessage", got.ErrorMessage, "snapshot missing"},
	} {
		if f.got != f.want {
			t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
		}
	}
}

func TestDecodeRejectKeepsEventID(t *testing.T) {
	_, err := Decode(event(map[string]string{"id": `"abc-123"`}, `{"State":"available"}`))
	var rej *RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("got %v, want *RejectedError", err)
	}
	if rej.EventID != "abc-123" {
		t.Errorf("got event id %q, want %q", rej.EventID, "abc-123")
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc..."},
		{"aé", 2, "a..."}, // never half of é
		{"日本", 4, "日..."},
	} {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(event(nil, goodDetail))
	f.Add(event(map[string]string{"time": `"yyyy-mm-ddThh:mm:ssZ"`}, `{"ImageId":"ami-0a1b2c3d","State":"weird"}`))
	f.Add([]byte(`{"detail":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := Decode(payload)
		if err != nil {
			var rej *RejectedError
			if !errors.As(err, &rej) {
				t.Fatalf("got error of type %T, want *RejectedError", err)
			}
			return
		}
		if !validImageID(c.ImageID) || !validRegion(c.Region) || c.State == "" {
			t.Fatalf("accepted an invalid change: %+v", c)
		}
	})
}
