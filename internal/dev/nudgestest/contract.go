// Package nudgestest is the contract a scheduler behind nudges.API keeps, run
// against moto's EventBridge Scheduler (internal/adapter/nudges) and against make
// dev's stand-in (internal/dev/local), so the stand-in cannot drift from it.
package nudgestest

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
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/link"
)

// API is a scheduler the contract can read back.
type API interface {
	nudges.API
}

// Signer is the link secret the contract names schedules with.
func Signer(t testing.TB) *link.Signer {
	t.Helper()
	s, err := link.NewSigner([]byte(strings.Repeat("n", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Run checks api with schedules in group, which must exist (and a group
// named group+"-missing" must not): a lead's schedule is made once (a
// second is success, the first stands), holds its at() time and input, and
// is deleted once (a missing one is success); a schedule of the lead's
// name that holds another lead is a clash; a group that does not exist
// takes no schedule.
func Run(t *testing.T, api API, group string) {
	t.Helper()
	ctx := context.Background()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hours.Parse(hours.Default, ny)
	if err != nil {
		t.Fatal(err)
	}
	const (
		id     = "8f14e45f-ceea-4e7a-9a3b-2c5d1e8b7a10"
		target = "arn:aws:lambda:us-east-1:123456789012:function:followup"
		role   = "arn:aws:iam::123456789012:role/nudge-scheduler"
	)
	signer := Signer(t)
	set := nudges.Settings{Hours: h, SLA: 15 * time.Minute, TargetARN: target, RoleARN: role, Group: group, Keys: signer}
	g := nudges.New(api, set)
	name := nudges.Name(signer.Key(nudges.KeyPurpose), id)
	read := func(name string) (*scheduler.GetScheduleOutput, error) {
		return api.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: aws.String(group)})
	}
	// Tuesday 22:00 in New York: due at Wednesday's opening, 08:15 EST.
	created := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	at, err := g.Arm(ctx, id, created, created)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 25, 13, 15, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("due %s, want %s", at, want)
	}
	// A redelivered stream record arms it again: the first one stands,
	// and its time is the one said.
	if again, err := g.Arm(ctx, id, created.Add(time.Hour), created.Add(time.Hour)); err != nil || !again.Equal(at) {
		t.Errorf("second arm: due %s, %v; want the first's %s", again, err, at)
	}
	got, err := read(name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{aws.ToString(got.ScheduleExpression), string(got.ActionAfterCompletion), aws.ToString(got.Target.Arn), aws.ToString(got.Target.RoleArn)},
		[]string{"at(2026-11-25T13:15:00)", "DELETE", target, role}); diff != "" {
		t.Errorf("schedule (-got +want):\n%s", diff)
	}
	var e nudges.Event
	if err := json.Unmarshal([]byte(aws.ToString(got.Target.Input)), &e); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, nudges.Event{Nudge: &nudges.Nudge{LeadID: id, Due: at}}); diff != "" {
		t.Errorf("input (-got +want):\n%s", diff)
	}
	if err := g.Disarm(ctx, id); err != nil {
		t.Fatal(err)
	}
	var missing *types.ResourceNotFoundException
	if _, err := read(name); !errors.As(err, &missing) {
		t.Errorf("after disarm: got %v, want ResourceNotFoundException", err)
	}
	// Already gone (fired and deleted, or deleted before): no error.
	if err := g.Disarm(ctx, id); err != nil {
		t.Errorf("second disarm: %v", err)
	}

	// A schedule of the lead's name that holds another lead: a clash, not
	// "armed", and the other lead's schedule stands.
	other, _ := json.Marshal(nudges.Event{Nudge: &nudges.Nudge{LeadID: "another-lead", Due: at}})
	if _, err := api.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(name), GroupName: aws.String(group), ScheduleExpression: aws.String("at(2026-11-25T13:15:00)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(target), RoleArn: aws.String(role), Input: aws.String(string(other))},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Arm(ctx, id, created, created); !errors.Is(err, nudges.ErrClash) {
		t.Errorf("arm over another lead's schedule: %v, want ErrClash", err)
	}
	if got, err := read(name); err != nil || !strings.Contains(aws.ToString(got.Target.Input), "another-lead") {
		t.Errorf("the other lead's schedule after the clash: %v", err)
	}
	if _, err := api.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}

	// A group that does not exist takes no schedule.
	set.Group = group + "-missing"
	if _, err := nudges.New(api, set).Arm(ctx, id, created, created); err == nil {
		t.Errorf("armed in group %s, which does not exist", set.Group)
	}
}
