package nudges_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
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
	return nudges.Settings{Hours: h, SLA: 15 * time.Minute, TargetARN: target, RoleARN: role, Group: group, Keys: nudgestest.Signer(t)}
}

const group = "appointment-leads-nudges"

// TestMoto runs the contract on moto's EventBridge Scheduler, as the
// notify and staff functions call it, in the stack's group.
func TestMoto(t *testing.T) {
	api := scheduler.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t)))
	if _, err := api.CreateScheduleGroup(context.Background(), &scheduler.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	nudgestest.Run(t, api, group)
}

// fake is a scheduler whose calls are functions.
type fake struct {
	create func(*scheduler.CreateScheduleInput) error
	delete func(*scheduler.DeleteScheduleInput) error
	get    func(*scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error)
}

var _ nudges.API = fake{}

func (f fake) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	return &scheduler.CreateScheduleOutput{}, f.create(in)
}

func (f fake) DeleteSchedule(_ context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	return &scheduler.DeleteScheduleOutput{}, f.delete(in)
}

func (f fake) GetSchedule(_ context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	return f.get(in)
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
			if got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeOff || aws.ToString(got.Name) != nameOf(t, id) || aws.ToString(got.GroupName) != group {
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
	}}, nudges.Settings{Hours: h, SLA: 10 * time.Minute, TargetARN: target, RoleARN: role, Keys: nudgestest.Signer(t)})
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

// nameOf is lead id's schedule name under the contract's link secret.
func nameOf(t *testing.T, id string) string {
	return nudges.Name(nudgestest.Signer(t).Key(nudges.KeyPurpose), id)
}

// TestName: a schedule's name is the lead's under the key, and says
// nothing of the id, however the visitor chose it.
func TestName(t *testing.T) {
	key, other := []byte("k1"), []byte("k2")
	for _, id := range []string{id, "lead-of-attacker", "a/b", string(make([]byte, 300)), "é"} {
		got := nudges.Name(key, id)
		if !regexp.MustCompile(`^lead-[0-9a-f]{32}$`).MatchString(got) || got != nudges.Name(key, id) {
			t.Errorf("Name(%q) = %q: want lead- and 32 hex digits, the same each time", id, got)
		}
		if nudges.Name(other, id) == got {
			t.Errorf("Name(%q) is the same under another key", id)
		}
	}
	if nudges.Name(key, "a/b") == nudges.Name(key, "a:b") || nudges.Name(key, id) == nudges.Name(key, id+" ") {
		t.Error("different ids, one name")
	}
}

// twoKeys is a link secret mid-rotation: the current key, then the previous.
type twoKeys struct{}

func (twoKeys) Keys(string) [][]byte { return [][]byte{[]byte("current"), []byte("previous")} }

// TestDisarmAcrossARotation: a schedule armed under the previous key is
// deleted too; arming uses the current one.
func TestDisarmAcrossARotation(t *testing.T) {
	set := settings(t)
	set.Keys = twoKeys{}
	var created string
	var deleted []string
	g := nudges.New(fake{
		create: func(in *scheduler.CreateScheduleInput) error { created = aws.ToString(in.Name); return nil },
		delete: func(in *scheduler.DeleteScheduleInput) error {
			deleted = append(deleted, aws.ToString(in.GroupName)+"/"+aws.ToString(in.Name))
			return &types.ResourceNotFoundException{}
		},
	}, set)
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	if _, err := g.Arm(context.Background(), id, now, now); err != nil {
		t.Fatal(err)
	}
	if err := g.Disarm(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	cur, prev := nudges.Name([]byte("current"), id), nudges.Name([]byte("previous"), id)
	if created != cur || !slices.Equal(deleted, []string{group + "/" + cur, group + "/" + prev}) {
		t.Errorf("created %s, deleted %v; want %s, then both names in %s", created, deleted, cur, group)
	}
}

// TestClash: a create that clashes is read back; the same lead is armed
// (a redelivered record), another lead or an unreadable schedule is
// ErrClash, and a failed read is an error.
func TestClash(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	due := now.Add(15 * time.Minute)
	input := func(lead string) *string {
		b, _ := json.Marshal(nudges.Event{Nudge: &nudges.Nudge{LeadID: lead, Due: due.Add(-5 * time.Minute)}})
		return aws.String(string(b))
	}
	tests := []struct {
		name    string
		got     *scheduler.GetScheduleOutput
		err     error
		wantErr error
	}{
		{"the same lead", &scheduler.GetScheduleOutput{Target: &types.Target{Input: input(id)}}, nil, nil},
		{"another lead", &scheduler.GetScheduleOutput{Target: &types.Target{Input: input("another")}}, nil, nudges.ErrClash},
		{"not a nudge", &scheduler.GetScheduleOutput{Target: &types.Target{Input: aws.String(`{"x":1}`)}}, nil, nudges.ErrClash},
		{"no target", &scheduler.GetScheduleOutput{}, nil, nudges.ErrClash},
		{"unreadable", nil, errors.New("throttled"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var read string
			g := nudges.New(fake{
				create: func(*scheduler.CreateScheduleInput) error { return &types.ConflictException{} },
				get: func(in *scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error) {
					read = aws.ToString(in.GroupName) + "/" + aws.ToString(in.Name)
					return tt.got, tt.err
				},
			}, settings(t))
			at, err := g.Arm(context.Background(), id, now, now)
			if read != group+"/"+nameOf(t, id) {
				t.Errorf("read %q after the clash, want the lead's schedule", read)
			}
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Arm: %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && tt.err == nil && (err != nil || !at.Equal(due.Add(-5*time.Minute))):
				t.Errorf("Arm: due %s, %v; want the existing schedule's time", at, err)
			case tt.err != nil && (err == nil || errors.Is(err, nudges.ErrClash)):
				t.Errorf("Arm with the read failing: %v, want an error other than a clash", err)
			}
		})
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
