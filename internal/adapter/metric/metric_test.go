package metric

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/lead"
)

// TestCountWritesOneEMFLine: the line is what CloudWatch's EMF
// specification asks for: a root _aws with a millisecond Timestamp and a
// CloudWatchMetrics directive whose metric is a member of the root.
func TestCountWritesOneEMFLine(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := New(&buf, "clinic/submit", func() time.Time { return at }).Count("LeadsStored"); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("not one JSON line: %q (%v)", buf.String(), err)
	}
	want := map[string]any{
		"_aws": map[string]any{
			"Timestamp": float64(at.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "clinic/submit",
				"Dimensions": []any{[]any{}},
				"Metrics":    []any{map[string]any{"Name": "LeadsStored", "Unit": "Count"}},
			}},
		},
		"LeadsStored": float64(1),
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("EMF line (-got +want):\n%s", diff)
	}
}

func TestNoNamespaceWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	if err := New(&buf, "", time.Now).Count("LeadsStored"); err != nil || buf.Len() != 0 {
		t.Errorf("wrote %q, %v", buf.String(), err)
	}
	var c *Writer
	if err := c.Count("LeadsStored"); err != nil {
		t.Error(err)
	}
}

// TestPutWritesDimensionsAndSeveralValues: one line carries the values of
// metrics sharing dimension keys, each with its unit, the dimension as a
// string member of the root.
func TestPutWritesDimensionsAndSeveralValues(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	w := New(&buf, "clinic/notify", func() time.Time { return at })
	if err := w.Put(nil, Value{AlertsSent, 1}, Value{AlertLatency, 1250}); err != nil {
		t.Fatal(err)
	}
	if err := w.Put([]string{"booked"}, Value{LeadsClosed, 1}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []map[string]any{{
		"_aws": map[string]any{
			"Timestamp": float64(at.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "clinic/notify",
				"Dimensions": []any{[]any{}},
				"Metrics":    []any{map[string]any{"Name": "AlertsSent", "Unit": "Count"}, map[string]any{"Name": "AlertLatency", "Unit": "Milliseconds"}},
			}},
		},
		"AlertsSent": float64(1), "AlertLatency": float64(1250),
	}, {
		"_aws": map[string]any{
			"Timestamp": float64(at.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "clinic/notify",
				"Dimensions": []any{[]any{"Outcome"}},
				"Metrics":    []any{map[string]any{"Name": "LeadsClosed", "Unit": "Count"}},
			}},
		},
		"Outcome": "booked", "LeadsClosed": float64(1),
	}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("EMF lines (-got +want):\n%s", diff)
	}
}

// TestPutRefusesUnlistedValues: a dimension value a def does not list (a
// name, an id, any free text) is refused and nothing is written; so are
// lines mixing dimension keys.
func TestPutRefusesUnlistedValues(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, "clinic/staff", time.Now)
	for name, put := range map[string]func() error{
		"a name as an outcome": func() error { return w.Put([]string{"Siobhán"}, Value{LeadsClosed, 1}) },
		"no dimension value":   func() error { return w.Put(nil, Value{LeadsClosed, 1}) },
		"an extra value":       func() error { return w.Put([]string{"booked"}, Value{AlertsSent, 1}) },
		"mixed dimension keys": func() error { return w.Put([]string{"stored"}, Value{Requests, 1}, Value{RequestsRefused, 1}) },
		"mixed with no keys":   func() error { return w.Put(nil, Value{AlertsSent, 1}, Value{LeadsClosed, 1}) },
	} {
		if err := put(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

// TestDefs: names are unique, units are CloudWatch's, and every dimension
// is within the specification's bounds.
func TestDefs(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range All {
		if seen[d.Name] {
			t.Errorf("%s defined twice", d.Name)
		}
		seen[d.Name] = true
		if d.Unit != Count && d.Unit != Seconds && d.Unit != Milliseconds {
			t.Errorf("%s: unit %q", d.Name, d.Unit)
		}
		if len(d.Dimensions) > 30 {
			t.Errorf("%s: %d dimensions", d.Name, len(d.Dimensions))
		}
		for _, dim := range d.Dimensions {
			if len(dim.Values) == 0 {
				t.Errorf("%s: %s takes no value", d.Name, dim.Key)
			}
		}
	}
}

// TestRefusalNamesNoValue: the error of a refused value is logged by the
// emitter, so it must not repeat the value (a name, if a bug put one there).
func TestRefusalNamesNoValue(t *testing.T) {
	err := New(io.Discard, "clinic/submit", time.Now).Put([]string{"Siobhán"}, Value{LeadsBySource, 1})
	if err == nil || strings.Contains(err.Error(), "Siobh") {
		t.Errorf("error %v", err)
	}
}

// BenchmarkPut: what one metric line costs a request (make bench does not
// run it; go test -bench Put ./internal/adapter/metric does).
func BenchmarkPut(b *testing.B) {
	w := New(io.Discard, "clinic/staff", time.Now)
	for b.Loop() {
		w.Put(nil, Value{TimeToFirstAttempt, 7800}, Value{TimeToFirstAttemptWallClock, 58200})
	}
}

// TestEveryCloseIsCounted: each reason a lead closes for is an Outcome
// LeadsClosed takes, so the staff function's Put is never refused.
func TestEveryCloseIsCounted(t *testing.T) {
	w := New(io.Discard, "clinic/staff", func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) })
	for _, r := range []lead.Reason{lead.ClosedBooked, lead.ClosedNotInterested, lead.ClosedWrongNumber, lead.ClosedUnreachable, lead.ClosedNotReachedAgain} {
		if err := w.Put([]string{string(r)}, Value{LeadsClosed, 1}); err != nil {
			t.Errorf("closed %s: %v", r, err)
		}
	}
}
