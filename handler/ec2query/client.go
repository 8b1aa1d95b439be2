// Package ec2query is a minimal client for the two read-only EC2 Query API
// actions ami-notify makes: DescribeImages and ListImagesInRecycleBin.
//
// Why not the SDK's ec2.Client: it carries serializers for every one of
// EC2's ~750 actions, and alone takes the function's binary from 8 MB to
// 37 MB, which Lambda pays for on every cold start. This client speaks the
// same wire protocol (form-encoded POST, SigV4, XML replies) with the SDK's
// aws.Config, credentials, signer and backoff, and keeps the SDK's request
// and response types, so callers and their fakes still program against
// ec2.DescribeImagesAPIClient.
package ec2query

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// apiVersion is the EC2 Query API version every current action belongs to.
const apiVersion = "2016-11-15"

// maxResponseBytes bounds a reply: one image is a few kilobytes.
const maxResponseBytes = 8 << 20

// maxAttempts matches the SDK's standard retryer: one try and two retries.
const maxAttempts = 3

// Client calls EC2 in one region.
type Client struct {
	region   string
	endpoint string
	creds    aws.CredentialsProvider
	http     aws.HTTPClient
	signer   *v4.Signer
	backoff  retry.BackoffDelayer
	now      func() time.Time
}

var (
	_ ec2.DescribeImagesAPIClient         = (*Client)(nil)
	_ ec2.ListImagesInRecycleBinAPIClient = (*Client)(nil)
)

// New returns a client for region, using cfg's credentials, HTTP client and
// BaseEndpoint (EC2's public endpoint for the region when that is unset).
func New(cfg aws.Config, region string) *Client {
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{
		region:   region,
		endpoint: resolveEndpoint(cfg, region),
		creds:    cfg.Credentials,
		http:     httpClient,
		signer:   v4.NewSigner(),
		backoff:  retry.NewExponentialJitterBackoff(20 * time.Second),
		now:      time.Now,
	}
}

// resolveEndpoint returns cfg.BaseEndpoint, which the caller sets from
// AWS_ENDPOINT_URL_EC2 or AWS_ENDPOINT_URL, else EC2's public endpoint.
func resolveEndpoint(cfg aws.Config, region string) string {
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return *cfg.BaseEndpoint
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://ec2." + region + "." + suffix
}

// DescribeImages supports the ImageIds, IncludeDisabled and
// IncludeDeprecated parameters: the ones that look up known images.
func (c *Client) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	form := url.Values{}
	for i, id := range in.ImageIds {
		form.Set("ImageId."+strconv.Itoa(i+1), id)
	}
	if in.IncludeDisabled != nil {
		form.Set("IncludeDisabled", strconv.FormatBool(*in.IncludeDisabled))
	}
	if in.IncludeDeprecated != nil {
		form.Set("IncludeDeprecated", strconv.FormatBool(*in.IncludeDeprecated))
	}
	var reply describeImagesResponse
	if err := c.call(ctx, "DescribeImages", form, &reply); err != nil {
		return nil, err
	}
	return reply.output(), nil
}

// ListImagesInRecycleBin supports the ImageIds parameter.
func (c *Client) ListImagesInRecycleBin(ctx context.Context, in *ec2.ListImagesInRecycleBinInput, _ ...func(*ec2.Options)) (*ec2.ListImagesInRecycleBinOutput, error) {
	form := url.Values{}
	for i, id := range in.ImageIds {
		form.Set("ImageId."+strconv.Itoa(i+1), id)
	}
	var reply recycleBinResponse
	if err := c.call(ctx, "ListImagesInRecycleBin", form, &reply); err != nil {
		return nil, err
	}
	return reply.output(), nil
}

// call runs one action with the SDK's retry policy: throttling, server
// errors and broken connections are retried with jittered backoff.
func (c *Client) call(ctx context.Context, action string, form url.Values, reply any) error {
	form.Set("Action", action)
	form.Set("Version", apiVersion)
	body := []byte(form.Encode())
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])

	var err error
	for attempt := 1; ; attempt++ {
		var retryable bool
		retryable, err = c.once(ctx, body, payloadHash, reply)
		if err == nil || !retryable || attempt == maxAttempts || ctx.Err() != nil {
			break
		}
		delay, berr := c.backoff.BackoffDelay(attempt, err)
		if berr != nil {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("ec2 %s: %w (after %v)", action, ctx.Err(), err)
		case <-t.C:
		}
	}
	if err != nil {
		return fmt.Errorf("ec2 %s: %w", action, err)
	}
	return nil
}

// once sends one signed request and decodes the reply into reply. It says
// whether a failure is worth another attempt.
func (c *Client) once(ctx context.Context, body []byte, payloadHash string, reply any) (retryable bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "ami-notify")
	if c.creds == nil {
		return false, errors.New("no AWS credentials configured")
	}
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return false, fmt.Errorf("retrieve credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, payloadHash, "ec2", c.region, c.now()); err != nil {
		return false, fmt.Errorf("sign request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// A reset or refused connection is worth retrying; a cancelled
		// context is not, and the caller checks for it.
		return true, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return true, fmt.Errorf("read reply: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		apiErr := parseError(resp.StatusCode, data)
		return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || throttles[apiErr.Code], apiErr
	}
	if err := xml.Unmarshal(data, reply); err != nil {
		return false, fmt.Errorf("decode reply: %w", err)
	}
	return false, nil
}

// throttles are EC2's throttling error codes (returned with HTTP 400 or 503).
var throttles = map[string]bool{
	"RequestLimitExceeded":      true,
	"Throttling":                true,
	"ThrottlingException":       true,
	"RequestThrottled":          true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"EC2ThrottledException":     true,
}

// errorResponse is EC2's error reply:
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
type errorResponse struct {
	Errors []struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Errors>Error"`
	RequestID string `xml:"RequestID"`
}

func parseError(status int, data []byte) *smithy.GenericAPIError {
	var r errorResponse
	if err := xml.Unmarshal(data, &r); err != nil || len(r.Errors) == 0 {
		return &smithy.GenericAPIError{Code: http.StatusText(status), Message: fmt.Sprintf("HTTP %d", status)}
	}
	return &smithy.GenericAPIError{Code: r.Errors[0].Code, Message: r.Errors[0].Message}
}
