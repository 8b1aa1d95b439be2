package localaws

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestReportDuration(t *testing.T) {
	tests := []struct {
		name   string
		report string
		want   time.Duration
		ok     bool
	}{
		{
			name:   "first invocation, with init",
			report: "REPORT RequestId: abc\tInit Duration: 0.03 ms\tDuration: 220.52 ms\tBilled Duration: 221 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t",
			want:   220520 * time.Microsecond, ok: true,
		},
		{
			name:   "warm invocation",
			report: "REPORT RequestId: abc\tDuration: 1.24 ms\tBilled Duration: 2 ms\t",
			want:   1240 * time.Microsecond, ok: true,
		},
		{name: "no report", report: "", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ReportDuration(tc.report)
			if ok != tc.ok || got.Round(time.Microsecond) != tc.want {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSentNotificationDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    SentNotification
		wantErr bool
	}{
		{
			name: "moto's five fields",
			in:   `["id-1", "{\"default\": \"d\", \"sms\": \"s\"}", "subj", {}, null]`,
			want: SentNotification{MessageID: "id-1", Message: `{"default": "d", "sms": "s"}`, Subject: "subj", Attributes: map[string]any{}},
		},
		{name: "too short", in: `["id-1"]`, wantErr: true},
		{name: "not an array", in: `{"id": 1}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got SentNotification
			err := got.UnmarshalJSON([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			s, err := got.Structure()
			if err != nil {
				t.Fatalf("structure: %v", err)
			}
			if s["default"] != "d" || s["sms"] != "s" {
				t.Errorf("structure: got %v, want default d and sms s", s)
			}
		})
	}
}

func TestLogLines(t *testing.T) {
	l := newLogLines(nil)
	fmt.Fprint(l, "START a\npartial")
	if got := l.Lines(); len(got) != 1 || got[0] != "START a" {
		t.Fatalf("lines: got %q, want only the complete line", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan string, 1)
	go func() {
		line, err := l.WaitFor(ctx, 1, func(s string) bool { return s == "partial REPORT" })
		if err != nil {
			line = err.Error()
		}
		done <- line
	}()
	fmt.Fprint(l, " REPORT\r\nEND\n")
	if got := <-done; got != "partial REPORT" {
		t.Errorf("WaitFor: got %q, want %q", got, "partial REPORT")
	}
	if got := l.Since(1); len(got) != 2 || got[1] != "END" {
		t.Errorf("Since(1): got %q, want [partial REPORT END]", got)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	if _, err := l.WaitFor(short, 0, func(string) bool { return false }); err == nil {
		t.Errorf("WaitFor with no match: got no error, want the context's")
	}
}
