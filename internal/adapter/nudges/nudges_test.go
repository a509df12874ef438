package nudges_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

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
		{"seconds rounded up, never early", created.Add(1500 * time.Millisecond), created, "at(2026-11-24T15:15:02)"},
		{"already due (a late stream record): a minute from now", created, created.Add(time.Hour), "at(2026-11-24T16:01:00)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *scheduler.CreateScheduleInput
			g := nudges.New(fake{create: func(in *scheduler.CreateScheduleInput) error { got = in; return nil }}, settings(t))
			if _, err := g.Arm(context.Background(), id, tt.created, tt.now); err != nil {
				t.Fatal(err)
			}
			if e := aws.ToString(got.ScheduleExpression); e != tt.want {
				t.Errorf("expression %s, want %s", e, tt.want)
			}
			if got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeOff || aws.ToString(got.Name) != "lead-"+id {
				t.Errorf("schedule %+v", got)
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
