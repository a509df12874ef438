package staff

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestSpeedToLeadMetrics: the first attempt and the first reach are timed
// once each, in opening time and on the clock; every attempt is counted by
// its outcome and the close by why. A request at 17:50 on a Thursday first
// tried at 10:00 on Friday waited 2 h 10 min of opening time, 16 h 10 min
// on the clock.
func TestSpeedToLeadMetrics(t *testing.T) {
	h, err := hours.Parse("Mon-Fri 08:00-18:00", eastern)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay})
	cfg.Hours = h
	f := newFixtureConfig(t, cfg, nil)
	var out bytes.Buffer
	f.h.metrics = metric.New(&out, "clinic/staff", func() time.Time { return f.now })
	l := storetest.Lead(time.Date(2026, 11, 26, 17, 50, 0, 0, eastern)) // start is Friday 10:00 in eastern
	f.lead, f.token = l, f.save(t, l)
	f.record(t, lead.NoAnswer)
	f.now = start.Add(30 * time.Minute)
	f.record(t, lead.Booked)

	var got []string
	for line := range strings.Lines(out.String()) {
		parsed, err := metric.Parse([]byte(line))
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, m := range parsed.Metrics {
			if err := metric.Check(m); err != nil {
				t.Error(err)
			}
			got = append(got, fmt.Sprintf("%s%v=%v", m.Name, m.Dims, m.Values))
		}
	}
	want := []string{
		"Attempts[no-answer]=[1]",
		"TimeToFirstAttempt[]=[7800]", "TimeToFirstAttemptWallClock[]=[58200]", // 2 h 10 min; 16 h 10 min
		"Attempts[booked]=[1]", "LeadsClosed[booked]=[1]",
		"TimeToFirstReach[]=[9600]", "TimeToFirstReachWallClock[]=[60000]", // 2 h 40 min; 16 h 40 min
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("metrics (-got +want):\n%s\n%s", diff, out.String())
	}
}
