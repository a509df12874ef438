package metric

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestParseTakesWhatWriterWrites, and holds every line to its definition.
func TestParseTakesWhatWriterWrites(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, "clinic/staff", time.Now)
	w.Count("LeadsStored")
	w.Put([]string{"booked"}, Value{LeadsClosed, 1})
	w.Put(nil, Value{TimeToFirstAttempt, 90}, Value{TimeToFirstAttemptWallClock, 600})
	var n int
	for line := range bytes.Lines(buf.Bytes()) {
		l, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if len(l.Members) > 0 {
			t.Errorf("%s: members beyond metrics and dimensions: %v", line, l.Members)
		}
		for _, m := range l.Metrics {
			n++
			if m.Name == "LeadsStored" {
				continue // a submit metric, written here only for its shape
			}
			if err := Check(m); err != nil {
				t.Error(err)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d metrics, want 4", n)
	}
}

// TestParseRefuses what the specification rules out.
func TestParseRefuses(t *testing.T) {
	for name, line := range map[string]string{
		"not JSON":                  `LeadsStored 1`,
		"no _aws":                   `{"LeadsStored":1}`,
		"timestamp in seconds text": `{"_aws":{"Timestamp":"2025-01-01","CloudWatchMetrics":[]},"A":1}`,
		"timestamp a fraction":      `{"_aws":{"Timestamp":1.5,"CloudWatchMetrics":[]},"A":1}`,
		"no directives":             `{"_aws":{"Timestamp":1}}`,
		"no namespace":              `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		"dimension not a member":    `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["D"]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		"dimension not a string":    `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["D"]],"Metrics":[{"Name":"A"}]}]},"A":1,"D":2}`,
		"metric not a member":       `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]}}`,
		"metric a string":           `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":"1"}`,
		"31 dimensions":             `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["D"` + strings.Repeat(`,"D"`, 30) + `]],"Metrics":[{"Name":"A"}]}]},"A":1,"D":"x"}`,
	} {
		if _, err := Parse([]byte(line)); err == nil {
			t.Errorf("%s: accepted %s", name, line)
		}
	}
	if _, err := Parse([]byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":[1,2]}`)); err != nil {
		t.Errorf("an array of values refused: %v", err)
	}
}
