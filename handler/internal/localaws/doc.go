// Package localaws runs ami-notify against a local stand-in for AWS: moto for
// EC2, SNS and SQS, the real Lambda runtime emulator (aws-lambda-rie) around
// the real bootstrap binary, and toxiproxy between the two to inject faults.
//
// Every process it starts listens on 127.0.0.1 on a free port, runs in its own
// process group and is stopped by Stop, so that a failed test or a Ctrl-C
// leaves nothing behind. The Start functions take a context and return an
// error, for programs such as the demo; the New functions take a testing.TB,
// register the cleanup, and skip (or, with CI=true, fail) when a tool is
// missing.
package localaws
