package notify

import "testing"

// BenchmarkRender renders a typical enriched notification (five tags, two
// block devices) for every channel. Issue 5's target for the whole event
// path is 200 µs and 200 allocations.
func BenchmarkRender(b *testing.B) {
	r := newTestRenderer(b)
	n := Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: webImage()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(n); err != nil {
			b.Fatalf("Render: %v", err)
		}
	}
}

// BenchmarkRenderCases renders each golden case, to show what hostile or
// unenriched notifications cost.
func BenchmarkRenderCases(b *testing.B) {
	r := newTestRenderer(b)
	for _, tc := range renderCases() {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(tc.n); err != nil {
					b.Fatalf("Render: %v", err)
				}
			}
		})
	}
}

// BenchmarkStructure marshals a rendered message as SNS's
// MessageStructure=json body, as the publisher does.
func BenchmarkStructure(b *testing.B) {
	r := newTestRenderer(b)
	m, err := r.Render(Notification{Change: change(StateAvailable), Enrichment: Enriched, Image: webImage()})
	if err != nil {
		b.Fatalf("Render: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Structure(); err != nil {
			b.Fatalf("Structure: %v", err)
		}
	}
}

// BenchmarkNewRenderer parses the embedded templates, which the function
// does once during its init (cold start).
func BenchmarkNewRenderer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRenderer(); err != nil {
			b.Fatalf("NewRenderer: %v", err)
		}
	}
}
