package submit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/config"
)

// TestStoredLeadIsCounted: a stored lead writes one EMF line of
// LeadsStored (the quiet-form alarm's metric) holding no personal data; a
// replay, a held request and a refused one write none.
func TestStoredLeadIsCounted(t *testing.T) {
	tests := []struct {
		name  string
		reqs  []func(*testing.T) string
		lines int
	}{
		{"stored", []func(*testing.T) string{func(t *testing.T) string { return jsonBody(t, nil) }}, 1},
		{"stored then replayed", []func(*testing.T) string{
			func(t *testing.T) string { return jsonBody(t, nil) }, func(t *testing.T) string { return jsonBody(t, nil) }}, 1},
		{"held by a trap", []func(*testing.T) string{func(t *testing.T) string {
			return jsonBody(t, func(v map[string]any) { v["website"] = "x" })
		}}, 0},
		{"invalid", []func(*testing.T) string{func(t *testing.T) string {
			return jsonBody(t, func(v map[string]any) { v["email"] = "bad" })
		}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Submit) { c.MetricNamespace = "clinic/submit" })
			var out bytes.Buffer
			f.h.WithMetrics(&out)
			for _, body := range tt.reqs {
				if res := f.do(t, sample(t, "application/json", body(t))); res.StatusCode >= 300 && tt.lines > 0 {
					t.Fatalf("status %d: %s", res.StatusCode, res.Body)
				}
			}
			var lines []string
			for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
				if strings.Contains(line, `"LeadsStored"`) {
					lines = append(lines, line)
				}
			}
			if len(lines) != tt.lines {
				t.Fatalf("%d EMF lines, want %d: %q", len(lines), tt.lines, out.String())
			}
			for _, line := range lines {
				var v map[string]any
				if err := json.Unmarshal([]byte(line), &v); err != nil {
					t.Fatalf("not JSON: %q", line)
				}
				if v["LeadsStored"] != float64(1) || v["_aws"] == nil {
					t.Errorf("line %s: no LeadsStored count", line)
				}
				for k := range v {
					if k != "_aws" && k != "LeadsStored" {
						t.Errorf("line %s: member %q beyond the metric", line, k)
					}
				}
				for _, p := range personal {
					if strings.Contains(line, p) {
						t.Errorf("personal data %q in %s", p, line)
					}
				}
			}
		})
	}
}

// TestEveryRequestIsCounted: each request writes one Requests line by what
// came of it, a refused one a RequestsRefused line by the class of its
// reason, and a stored one a LeadsBySource line by its source's class.
func TestEveryRequestIsCounted(t *testing.T) {
	f := newFixture(t, func(c *config.Submit) { c.MetricNamespace = "clinic/submit" })
	var out bytes.Buffer
	f.h.WithMetrics(&out)
	for _, req := range []events.APIGatewayV2HTTPRequest{
		sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["utm_medium"] = "cpc" })),
		sample(t, "application/json", jsonBody(t, nil)), // the same submission: a replay
		sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId"); v["email"] = "bad" })),
		sample(t, "text/plain", "hello"),
		sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId"); v["website"] = "x" })),
		sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") })), // the 3rd counted (a refused one is not)
		sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") })), // the 4th: over the limit
	} {
		f.do(t, req)
	}
	var got []string
	for line := range strings.Lines(out.String()) {
		l, err := metric.Parse([]byte(line))
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, m := range l.Metrics {
			if err := metric.Check(m); err != nil && m.Name != "LeadsStored" {
				t.Error(err)
			}
			got = append(got, m.Name+strings.Join(m.Dims, ","))
		}
	}
	want := []string{
		"LeadsStored", "LeadsBySourceads", "Requestsstored",
		"Requestsreplay",
		"Requestsrefused", "RequestsRefusedinvalid",
		"Requestsrefused", "RequestsRefusedmalformed",
		"Requestsheld",
		"LeadsStored", "LeadsBySourcesearch", "Requestsstored",
		"Requestsrefused", "RequestsRefusedrate-limited",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("metrics (-got +want):\n%s\n%s", diff, out.String())
	}
}
