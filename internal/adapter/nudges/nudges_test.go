package nudges_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/nudgestest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/hours"
)

const (
	target = "arn:aws:lambda:us-east-1:123456789012:function:followup"
	role   = "arn:aws:iam::123456789012:role/nudge-scheduler"
	id     = "8f14e45f-ceea-4e7a-9a3b-2c5d1e8b7a10"
)

func settings(t *testing.T) nudges.Settings {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hours.Parse(hours.Default, ny)
	if err != nil {
		t.Fatal(err)
	}
	return nudges.Settings{Hours: h, SLA: 15 * time.Minute, TargetARN: target, RoleARN: role}
}

// TestMoto runs the contract on moto's EventBridge Scheduler, as the
// notify and staff functions call it.
func TestMoto(t *testing.T) {
	nudgestest.Run(t, scheduler.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t))))
}

// fake is a scheduler whose calls are functions.
type fake struct {
	create func(*scheduler.CreateScheduleInput) error
	delete func(*scheduler.DeleteScheduleInput) error
}

var _ nudges.API = fake{}

func (f fake) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	return &scheduler.CreateScheduleOutput{}, f.create(in)
}

func (f fake) DeleteSchedule(_ context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	return &scheduler.DeleteScheduleOutput{}, f.delete(in)
}

func TestArm(t *testing.T) {
	created := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC) // Tuesday 10:00 in New York
	tests := []struct {
		name    string
		created time.Time
		now     time.Time
		want    string
	}{
		{"due RESPONSE_SLA of open time later", created, created, "at(2026-11-24T15:15:00)"},
		{"rounded up to the batch, never early", created.Add(1500 * time.Millisecond), created, "at(2026-11-24T15:20:00)"},
		{"due within the same batch: the same time", created.Add(4*time.Minute + 59*time.Second), created, "at(2026-11-24T15:20:00)"},
		{"already due (a late stream record): a minute from now, rounded up", created, created.Add(time.Hour), "at(2026-11-24T16:05:00)"},
		// Received while closed: Wednesday's opening (8:00 EST) plus RESPONSE_SLA, exactly.
		{"Tuesday night", time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), "at(2026-11-25T13:15:00)"},
		{"Wednesday before dawn", time.Date(2026, 11, 25, 11, 59, 59, 0, time.UTC), time.Date(2026, 11, 25, 11, 59, 59, 0, time.UTC), "at(2026-11-25T13:15:00)"},
		// Across daylight-saving changes: the opening at 8:00 local time.
		{"Saturday before spring forward: Monday 8:15 EDT", time.Date(2026, 3, 7, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 7, 22, 0, 0, 0, time.UTC), "at(2026-03-09T12:15:00)"},
		{"Friday evening before fall back: Monday 8:15 EST", time.Date(2026, 10, 30, 22, 30, 0, 0, time.UTC), time.Date(2026, 10, 30, 22, 30, 0, 0, time.UTC), "at(2026-11-02T13:15:00)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *scheduler.CreateScheduleInput
			g := nudges.New(fake{create: func(in *scheduler.CreateScheduleInput) error { got = in; return nil }}, settings(t))
			at, err := g.Arm(context.Background(), id, tt.created, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if e := aws.ToString(got.ScheduleExpression); e != tt.want {
				t.Errorf("expression %s, want %s", e, tt.want)
			}
			if got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeOff || aws.ToString(got.Name) != "lead-"+id {
				t.Errorf("schedule %+v", got)
			}
			var e nudges.Event
			if err := json.Unmarshal([]byte(aws.ToString(got.Target.Input)), &e); err != nil || e.Nudge == nil || !e.Nudge.Due.Equal(at) || e.Nudge.LeadID != id {
				t.Errorf("input %s (%v), want the lead due at %s", aws.ToString(got.Target.Input), err, at)
			}
		})
	}
	t.Run("a failed create is an error naming the lead", func(t *testing.T) {
		g := nudges.New(fake{create: func(*scheduler.CreateScheduleInput) error { return errors.New("throttled") }}, settings(t))
		if _, err := g.Arm(context.Background(), id, created, created); err == nil || !contains(err.Error(), id) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a failed delete is an error", func(t *testing.T) {
		g := nudges.New(fake{delete: func(*scheduler.DeleteScheduleInput) error { return errors.New("throttled") }}, settings(t))
		if err := g.Disarm(context.Background(), id); err == nil {
			t.Error("no error")
		}
	})
}

// TestBatchInAQuarterHourZone: in a zone 5:45 off UTC, leads received
// while closed still share exactly the opening plus RESPONSE_SLA.
func TestBatchInAQuarterHourZone(t *testing.T) {
	kathmandu, err := time.LoadLocation("Asia/Kathmandu")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hours.Parse("Sun-Fri 10:00-17:00", kathmandu)
	if err != nil {
		t.Fatal(err)
	}
	var ats []string
	g := nudges.New(fake{create: func(in *scheduler.CreateScheduleInput) error {
		ats = append(ats, aws.ToString(in.ScheduleExpression))
		return nil
	}}, nudges.Settings{Hours: h, SLA: 10 * time.Minute, TargetARN: target, RoleARN: role})
	// Saturday: closed. Sunday 10:10 in Kathmandu is 04:25 UTC.
	for _, created := range []time.Time{time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC), time.Date(2026, 12, 5, 14, 7, 13, 0, time.UTC), time.Date(2026, 12, 6, 4, 14, 0, 0, time.UTC)} {
		if _, err := g.Arm(context.Background(), id, created, created); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(ats, []string{"at(2026-12-06T04:25:00)", "at(2026-12-06T04:25:00)", "at(2026-12-06T04:25:00)"}); diff != "" {
		t.Errorf("schedules (-got +want):\n%s", diff)
	}
}

func TestRoundUp(t *testing.T) {
	for in, want := range map[time.Time]time.Time{
		time.Date(2026, 11, 24, 15, 15, 0, 0, time.UTC):                    time.Date(2026, 11, 24, 15, 15, 0, 0, time.UTC),
		time.Date(2026, 11, 24, 15, 15, 0, 1, time.UTC):                    time.Date(2026, 11, 24, 15, 20, 0, 0, time.UTC),
		time.Date(2026, 11, 24, 23, 59, 1, 0, time.UTC):                    time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 24, 10, 16, 0, 0, time.FixedZone("", -5*3600)): time.Date(2026, 11, 24, 15, 20, 0, 0, time.UTC),
	} {
		if got := nudges.RoundUp(in); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("RoundUp(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestOldInput: a schedule armed before batching (its due to the second)
// still reads as a Nudge.
func TestOldInput(t *testing.T) {
	var e nudges.Event
	if err := json.Unmarshal([]byte(`{"nudge":{"leadId":"`+id+`","due":"2026-11-24T15:15:02Z"}}`), &e); err != nil {
		t.Fatal(err)
	}
	if e.Nudge == nil || e.Nudge.LeadID != id || !e.Nudge.Due.Equal(time.Date(2026, 11, 24, 15, 15, 2, 0, time.UTC)) {
		t.Errorf("read %+v", e.Nudge)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestName(t *testing.T) {
	if got := nudges.Name(id); got != "lead-"+id {
		t.Errorf("Name(%q) = %q", id, got)
	}
	long := nudges.Name(string(make([]byte, 59)))
	if len(long) > 64 || long[:5] != "lead-" {
		t.Errorf("an id a name cannot hold: %q", long)
	}
	if nudges.Name("a/b") == nudges.Name("a:b") {
		t.Error("ids that are not names collide")
	}
}

func TestParseAt(t *testing.T) {
	got, err := nudges.ParseAt("at(2026-11-24T15:15:02)")
	if err != nil || !got.Equal(time.Date(2026, 11, 24, 15, 15, 2, 0, time.UTC)) {
		t.Errorf("ParseAt: %s, %v", got, err)
	}
	for _, bad := range []string{"", "rate(5 minutes)", "at(2026-11-24)", "at(2026-11-24T15:15:02"} {
		if _, err := nudges.ParseAt(bad); err == nil {
			t.Errorf("ParseAt(%q) accepted", bad)
		}
	}
}
