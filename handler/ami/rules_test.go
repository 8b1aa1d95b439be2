package ami

import (
	"testing"

	"github.com/ami-notify/ami-notify/notify"
)

func TestRulesSkip(t *testing.T) {
	rules := Rules{
		States:       []string{"deregistered"},
		NamePrefixes: []string{"tmp-"},
		Tags:         []TagRule{{Key: "aws:backup:source-resource"}, {Key: "env", Value: "dev", MatchValue: true}},
	}
	withImage := func(state, name string, tags ...notify.Tag) notify.Notification {
		return notify.Notification{
			Change:     notify.StateChange{State: state},
			Enrichment: notify.Enriched,
			Image:      &notify.Image{Name: name, Tags: tags},
		}
	}
	tests := []struct {
		name string
		n    notify.Notification
		want string
	}{
		{"sent", withImage("available", "base", notify.Tag{Key: "env", Value: "prod"}), ""},
		{"state", withImage("deregistered", "base"), "SKIP_STATES=deregistered"},
		{"name prefix", withImage("available", "tmp-build-7"), "SKIP_NAME_PREFIXES=tmp-"},
		{"prefix must be a prefix", withImage("available", "base-tmp-7"), ""},
		{"tag key", withImage("available", "base", notify.Tag{Key: "aws:backup:source-resource", Value: "arn:aws:ec2:..."}), "SKIP_TAGS=aws:backup:source-resource"},
		{"tag value", withImage("available", "base", notify.Tag{Key: "env", Value: "dev"}), "SKIP_TAGS=env=dev"},
		{"tag other value", withImage("available", "base", notify.Tag{Key: "env", Value: "devel"}), ""},
		{"recycle bin name", notify.Notification{Change: notify.StateChange{State: "available"}, RecycleBin: &notify.RecycleBin{Name: "tmp-1"}}, "SKIP_NAME_PREFIXES=tmp-"},
		// Without details no name or tag rule can match: the event is sent
		// rather than silently dropped.
		{"not enriched", notify.Notification{Change: notify.StateChange{State: "failed"}, Enrichment: notify.Unavailable}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.Skip(tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
