// Command bare is the smallest useful Go Lambda: it answers every event
// with a fixed greeting. make bench builds it with exactly the flags of the
// real function and runs both under aws-lambda-rie, so that the function's
// init time and size can be compared with what any Go Lambda costs.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

// response mirrors the shape of a real handler's answer, so the bare
// function pays for one JSON encode per invoke like the real one does.
type response struct {
	Message string `json:"message"`
}

func handle(_ context.Context, _ json.RawMessage) (response, error) {
	return response{Message: "hello"}, nil
}

func main() {
	lambda.Start(handle)
}
