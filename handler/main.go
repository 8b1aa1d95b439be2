// Command bootstrap is the ami-notify Lambda function. It only wires:
// configuration, logger, AWS clients, then lambda.Start.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ami-notify/ami-notify/handler/ami"
	"github.com/ami-notify/ami-notify/handler/ec2query"
	"github.com/ami-notify/ami-notify/notify"
)

func main() {
	if err := run(); err != nil {
		// Printed as JSON like every other line, then a non-zero exit makes
		// Lambda report an init error naming the cause.
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("init failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

func run() error {
	cfg, err := ami.LoadConfig(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	snsCfg, ec2Cfg := awsConfigs(os.Getenv)
	renderer, err := notify.NewRenderer()
	if err != nil {
		return fmt.Errorf("load message templates: %w", err)
	}
	// EC2 clients are made per region on first use: events come from the
	// AMI's region, which need not be the function's.
	enricher := ami.NewEC2Enricher(func(region string) ami.EC2API {
		return ec2query.New(ec2Cfg, region)
	}, cfg.EnrichTimeout)
	h := ami.NewHandler(cfg, enricher, renderer, sns.NewFromConfig(snsCfg), log)

	lambda.Start(h.Handle)
	return nil
}
