package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestAWSConfigs(t *testing.T) {
	creds := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range creds {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name             string
		env              map[string]string
		wantRegion       string
		wantSNS, wantEC2 string // "" for the public endpoint
		wantCreds        bool
	}{
		{name: "Lambda", env: creds, wantRegion: "eu-west-1", wantCreds: true},
		{name: "default region", env: map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}, wantRegion: "us-west-2"},
		{name: "one endpoint", env: with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}), wantRegion: "eu-west-1", wantSNS: "http://127.0.0.1:5000", wantEC2: "http://127.0.0.1:5000", wantCreds: true},
		{name: "per service", env: with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:6000"}), wantRegion: "eu-west-1", wantSNS: "http://127.0.0.1:5000", wantEC2: "http://127.0.0.1:6000", wantCreds: true},
		{name: "endpoints ignored", env: with(map[string]string{"AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:5000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}), wantRegion: "eu-west-1", wantCreds: true},
		{name: "secret missing", env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID"}, wantRegion: "eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snsCfg, ec2Cfg := awsConfigs(func(k string) string { return tt.env[k] })
			for _, c := range []struct {
				name string
				cfg  aws.Config
				want string
			}{{"sns", snsCfg, tt.wantSNS}, {"ec2", ec2Cfg, tt.wantEC2}} {
				if c.cfg.Region != tt.wantRegion {
					t.Errorf("%s region: got %q, want %q", c.name, c.cfg.Region, tt.wantRegion)
				}
				if got := aws.ToString(c.cfg.BaseEndpoint); got != c.want {
					t.Errorf("%s endpoint: got %q, want %q", c.name, got, c.want)
				}
				if (c.cfg.Credentials != nil) != tt.wantCreds {
					t.Fatalf("%s credentials: got %v, want some: %v", c.name, c.cfg.Credentials, tt.wantCreds)
				}
				if tt.wantCreds {
					got, err := c.cfg.Credentials.Retrieve(context.Background())
					if err != nil || got.AccessKeyID != "AKID" || got.SecretAccessKey != "secret" || got.SessionToken != "token" {
						t.Errorf("%s credentials: got %+v, %v, want the environment's", c.name, got, err)
					}
				}
			}
		})
	}
}
