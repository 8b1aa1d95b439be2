package ami

import (
	"slices"
	"strings"

	"github.com/ami-notify/ami-notify/notify"
)

// Rules say which notifications are not worth sending. They are applied
// after enrichment, so names and tags are known when EC2 could be asked.
type Rules struct {
	States       []string
	NamePrefixes []string
	Tags         []TagRule
}

// TagRule matches an image carrying the tag Key, with any value unless
// MatchValue is set.
type TagRule struct {
	Key        string
	Value      string
	MatchValue bool
}

func (r TagRule) String() string {
	if r.MatchValue {
		return r.Key + "=" + r.Value
	}
	return r.Key
}

// SkipState returns the state rule that skips a change in this state, or
// "". It needs no image details, so the handler asks it before EC2.
func (r Rules) SkipState(state string) string {
	if slices.Contains(r.States, state) {
		return "SKIP_STATES=" + state
	}
	return ""
}

// Skip returns the rule that skips n, written as its variable and value
// (for the log), or "" to send n.
func (r Rules) Skip(n notify.Notification) string {
	if rule := r.SkipState(n.Change.State); rule != "" {
		return rule
	}
	if name := n.Name(); name != "" {
		for _, p := range r.NamePrefixes {
			if strings.HasPrefix(name, p) {
				return "SKIP_NAME_PREFIXES=" + p
			}
		}
	}
	if n.Image == nil {
		return ""
	}
	for _, rule := range r.Tags {
		for _, t := range n.Image.Tags {
			if t.Key == rule.Key && (!rule.MatchValue || t.Value == rule.Value) {
				return "SKIP_TAGS=" + rule.String()
			}
		}
	}
	return ""
}
