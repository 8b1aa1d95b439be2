package localaws

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Fake credentials: moto accepts any non-empty values, and these can never
// reach real AWS because every endpoint points at 127.0.0.1.
const (
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
	// AccountID is moto's default account, used in every ARN it makes.
	AccountID = "123456789012"
	// DefaultRegion is where the harness creates topics and queues.
	DefaultRegion = "us-east-1"
)

// Config returns an SDK configuration for endpointURL (moto, or a toxiproxy
// in front of it) with static test credentials. It is built by hand rather
// than with config.LoadDefaultConfig so that nothing from the user's
// environment or ~/.aws can redirect the calls to real AWS.
func Config(endpointURL, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		BaseEndpoint: aws.String(endpointURL),
	}
}

// Config returns an SDK configuration for this moto in region.
func (m *Moto) Config(region string) aws.Config { return Config(m.URL, region) }

// FunctionEnv is the environment that points a function (or any SDK
// program) at endpointURL with the test credentials. Shared config files are
// pointed at nothing so a developer's ~/.aws profile cannot interfere.
func FunctionEnv(endpointURL, region string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpointURL,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
