package ec2query

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// server answers with the given status and testdata files in turn (the
// last one repeats) and records each request's form and headers.
type server struct {
	t       *testing.T
	status  []int
	files   []string
	mu      sync.Mutex
	forms   []map[string]string
	headers []http.Header
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("parse form: %v", err)
	}
	s.mu.Lock()
	n := len(s.forms)
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	s.forms = append(s.forms, form)
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	i := min(n, len(s.files)-1)
	body, err := os.ReadFile("testdata/" + s.files[i])
	if err != nil {
		s.t.Errorf("fixture: %v", err)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(s.status[i])
	w.Write(body)
}

func newTestClient(t *testing.T, s *server) *Client {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	cfg := aws.Config{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(ts.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}
	c := New(cfg, "eu-west-1")
	c.now = func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	// Retries are the subject here, not the SDK's jitter: keep them quick.
	c.backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	return c
}

func TestDescribeImages(t *testing.T) {
	s := &server{t: t, status: []int{200}, files: []string{"describe-images.xml"}}
	c := newTestClient(t, s)
	out, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{
		ImageIds: []string{"ami-0a1b2c3d4e5f60718"}, IncludeDisabled: aws.Bool(true), IncludeDeprecated: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("DescribeImages: %v", err)
	}
	wantForm := map[string]string{
		"Action": "DescribeImages", "Version": "2016-11-15", "ImageId.1": "ami-0a1b2c3d4e5f60718",
		"IncludeDisabled": "true", "IncludeDeprecated": "true",
	}
	for k, v := range wantForm {
		if got := s.forms[0][k]; got != v {
			t.Errorf("form %s: got %q, want %q", k, got, v)
		}
	}
	auth := s.headers[0].Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/ec2/aws4_request") {
		t.Errorf("got Authorization %q, want a SigV4 signature for ec2 in eu-west-1", auth)
	}
	if len(out.Images) != 1 {
		t.Fatalf("got %d images, want 1", len(out.Images))
	}
	im := out.Images[0]
	strs := []struct{ name, got, want string }{
		{"ImageId", aws.ToString(im.ImageId), "ami-0a1b2c3d4e5f60718"},
		{"Name", aws.ToString(im.Name), "platform-al2023-base"},
		{"Description", aws.ToString(im.Description), "Base & hardened"},
		{"OwnerId", aws.ToString(im.OwnerId), "123456789012"},
		{"ImageOwnerAlias", aws.ToString(im.ImageOwnerAlias), "amazon"},
		{"State", string(im.State), "available"},
		{"Architecture", string(im.Architecture), "arm64"},
		{"Platform", string(im.Platform), "windows"},
		{"PlatformDetails", aws.ToString(im.PlatformDetails), "Windows"},
		{"RootDeviceType", string(im.RootDeviceType), "ebs"},
		{"RootDeviceName", aws.ToString(im.RootDeviceName), "/dev/xvda"},
		{"VirtualizationType", string(im.VirtualizationType), "hvm"},
		{"BootMode", string(im.BootMode), "uefi"},
		{"ImdsSupport", string(im.ImdsSupport), "v2.0"},
		{"CreationDate", aws.ToString(im.CreationDate), "2026-11-26T09:02:41.000Z"},
		{"DeprecationTime", aws.ToString(im.DeprecationTime), "2028-11-26T09:02:41.000Z"},
		{"SourceImageId", aws.ToString(im.SourceImageId), "ami-0fedcba9876543210"},
		{"SourceImageRegion", aws.ToString(im.SourceImageRegion), "us-west-2"},
		{"StateReason.Code", aws.ToString(im.StateReason.Code), "Client.Error"},
		{"Tag", aws.ToString(im.Tags[0].Key) + "=" + aws.ToString(im.Tags[0].Value), "team=platform"},
		{"Snapshot", aws.ToString(im.BlockDeviceMappings[0].Ebs.SnapshotId), "snap-0c1d2e3f4a5b6c7d8"},
		{"VolumeType", string(im.BlockDeviceMappings[0].Ebs.VolumeType), "gp3"},
		{"VirtualName", aws.ToString(im.BlockDeviceMappings[1].VirtualName), "ephemeral0"},
	}
	for _, s := range strs {
		if s.got != s.want {
			t.Errorf("%s: got %q, want %q", s.name, s.got, s.want)
		}
	}
	if !aws.ToBool(im.Public) || !aws.ToBool(im.EnaSupport) || !aws.ToBool(im.BlockDeviceMappings[0].Ebs.Encrypted) ||
		aws.ToInt32(im.BlockDeviceMappings[0].Ebs.VolumeSize) != 8 || im.BlockDeviceMappings[1].Ebs != nil {
		t.Errorf("got %+v, want public, ENA, an encrypted 8 GiB EBS volume and an instance store", im)
	}
}

func TestListImagesInRecycleBin(t *testing.T) {
	s := &server{t: t, status: []int{200}, files: []string{"recycle-bin.xml"}}
	c := newTestClient(t, s)
	out, err := c.ListImagesInRecycleBin(context.Background(), &ec2.ListImagesInRecycleBinInput{ImageIds: []string{"ami-0d4c3b2a1f0e9d8c7"}})
	if err != nil {
		t.Fatalf("ListImagesInRecycleBin: %v", err)
	}
	if s.forms[0]["Action"] != "ListImagesInRecycleBin" || s.forms[0]["ImageId.1"] != "ami-0d4c3b2a1f0e9d8c7" {
		t.Errorf("got form %v", s.forms[0])
	}
	if len(out.Images) != 1 {
		t.Fatalf("got %d images, want 1", len(out.Images))
	}
	b := out.Images[0]
	want := time.Date(2026, 12, 6, 11, 45, 3, 0, time.UTC)
	if aws.ToString(b.Name) != "old-base" || b.RecycleBinExitTime == nil || !b.RecycleBinExitTime.Equal(want) {
		t.Errorf("got %+v, want old-base restorable until %v", b, want)
	}
}

func TestErrorsAndRetries(t *testing.T) {
	tests := []struct {
		name         string
		status       []int
		files        []string
		wantCode     string // "" for success
		wantAttempts int
	}{
		{"throttled then fine", []int{400, 200}, []string{"error-throttled.xml", "describe-images.xml"}, "", 2},
		{"throttled throughout", []int{400}, []string{"error-throttled.xml"}, "RequestLimitExceeded", 3},
		{"server error then fine", []int{503, 200}, []string{"error-throttled.xml", "describe-images.xml"}, "", 2},
		{"access denied is final", []int{403}, []string{"error-unauthorized.xml"}, "UnauthorizedOperation", 1},
		{"not XML", []int{500}, []string{"../client.go"}, "Internal Server Error", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &server{t: t, status: tt.status, files: tt.files}
			c := newTestClient(t, s)
			_, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{"ami-0a1b2c3d"}})
			if len(s.forms) != tt.wantAttempts {
				t.Errorf("got %d attempts, want %d", len(s.forms), tt.wantAttempts)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Errorf("got %v, want success after retrying", err)
				}
				return
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
				t.Errorf("got %v, want an API error with code %q", err, tt.wantCode)
			}
			if !strings.Contains(err.Error(), "ec2 DescribeImages") {
				t.Errorf("got %q, want the action named", err)
			}
		})
	}
}

func TestContextEndsRetries(t *testing.T) {
	s := &server{t: t, status: []int{400}, files: []string{"error-throttled.xml"}}
	c := newTestClient(t, s)
	// A long backoff that the deadline must cut short.
	c.backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Hour, nil })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0a1b2c3d"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want the deadline to stop the backoff", d)
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name   string
		base   *string
		region string
		want   string
	}{
		{"public", nil, "eu-west-1", "https://ec2.eu-west-1.amazonaws.com"},
		{"China", nil, "cn-north-1", "https://ec2.cn-north-1.amazonaws.com.cn"},
		{"GovCloud", nil, "us-gov-west-1", "https://ec2.us-gov-west-1.amazonaws.com"},
		{"configured", aws.String("http://127.0.0.1:5000"), "us-east-1", "http://127.0.0.1:5000"},
		{"configured empty", aws.String(""), "us-east-1", "https://ec2.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(aws.Config{BaseEndpoint: tt.base}, tt.region).endpoint; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNoCredentials(t *testing.T) {
	s := &server{t: t, status: []int{200}, files: []string{"describe-images.xml"}}
	c := newTestClient(t, s)
	c.creds = nil
	_, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{"ami-0a1b2c3d"}})
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials") || len(s.forms) != 0 {
		t.Errorf("got %v after %d requests, want a credentials error and no request", err, len(s.forms))
	}
}
