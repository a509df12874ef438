// Package nudgestest is the contract a scheduler behind nudges.API keeps, run
// against moto's EventBridge Scheduler (internal/adapter/nudges) and against make
// dev's stand-in (internal/dev/local), so the stand-in cannot drift from it.
package nudgestest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/hours"
)

// API is a scheduler the contract can read back.
type API interface {
	nudges.API
	GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
}

// Run checks api: a lead's schedule is made once (a second is success, the
// first stands), holds its at() time and input, and is deleted once (a
// missing one is success).
func Run(t *testing.T, api API) {
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
	g := nudges.New(api, nudges.Settings{Hours: h, SLA: 15 * time.Minute, TargetARN: target, RoleARN: role})
	// Tuesday 22:00 in New York: due at Wednesday's opening, 08:15 EST.
	created := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	at, err := g.Arm(ctx, id, created, created)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 25, 13, 15, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("due %s, want %s", at, want)
	}
	// A redelivered stream record arms it again: the first one stands.
	if _, err := g.Arm(ctx, id, created.Add(time.Hour), created.Add(time.Hour)); err != nil {
		t.Errorf("second arm: %v", err)
	}
	got, err := api.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(nudges.Name(id))})
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
	if _, err := api.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(nudges.Name(id))}); !errors.As(err, &missing) {
		t.Errorf("after disarm: got %v, want ResourceNotFoundException", err)
	}
	// Already gone (fired and deleted, or deleted before): no error.
	if err := g.Disarm(ctx, id); err != nil {
		t.Errorf("second disarm: %v", err)
	}
}
