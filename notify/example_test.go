package notify_test

import (
	"fmt"
	"log"
	"time"

	"github.com/ami-notify/ami-notify/notify"
)

func ExampleRenderer_Render() {
	r, err := notify.NewRenderer()
	if err != nil {
		log.Fatal(err)
	}
	m, err := r.Render(notify.Notification{
		Change: notify.StateChange{
			EventID: "3f6c2b9e-8d7a-4c1b-9e2f-0a1b2c3d4e5f",
			Account: "123456789012",
			Region:  "eu-west-1",
			ImageID: "ami-0a1b2c3d4e5f67890",
			State:   notify.StateFailed,
			Time:    time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC),
			RawTime: "2026-03-14T09:26:53Z",
		},
		Enrichment:      notify.Unavailable,
		EnrichmentError: "AccessDenied",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Subject)
	fmt.Println(m.SMS)
	fmt.Println(m.Default)
	// Output:
	// AMI failed: ami-0a1b2c3d4e5f67890 in eu-west-1
	// AMI failed: ami-0a1b2c3d4e5f67890 in eu-west-1
	// AMI ami-0a1b2c3d4e5f67890 failed in eu-west-1. Details could not be fetched: AccessDenied
	// https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#ImageDetails:imageId=ami-0a1b2c3d4e5f67890
}
