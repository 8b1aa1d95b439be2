package main

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// awsConfigs builds the SDK configuration for SNS and EC2 from the
// environment Lambda gives every function: the region and the execution
// role's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), plus the SDK's endpoint variables AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE>, which it honours as the SDK does.
//
// Why not config.LoadDefaultConfig: it links the SSO, SSO-OIDC, STS and
// sign-in clients for credential sources a Lambda function never uses, and
// their package initialisation alone costs about a third of this function's
// cold start (see the README's Performance section). sam local invoke passes
// credentials the same way, as environment variables.
//
// Missing credentials do not fail the init: EC2 lookups then report the
// details as unavailable, which is what a dry run without AWS access shows.
func awsConfigs(getenv func(string) string) (snsCfg, ec2Cfg aws.Config) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	base := aws.Config{Region: region}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		base.Credentials = credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))
	}
	snsCfg, ec2Cfg = base.Copy(), base.Copy()
	if ignore, _ := strconv.ParseBool(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); ignore {
		return snsCfg, ec2Cfg
	}
	snsCfg.BaseEndpoint = endpoint(getenv, "AWS_ENDPOINT_URL_SNS")
	ec2Cfg.BaseEndpoint = endpoint(getenv, "AWS_ENDPOINT_URL_EC2")
	return snsCfg, ec2Cfg
}

// endpoint returns the service's own endpoint variable, else the general
// AWS_ENDPOINT_URL, else nil for the service's public endpoint.
func endpoint(getenv func(string) string, serviceVar string) *string {
	for _, name := range []string{serviceVar, "AWS_ENDPOINT_URL"} {
		if v := getenv(name); v != "" {
			return aws.String(v)
		}
	}
	return nil
}
