// Package nudges is the response guard's schedule: when a lead is stored, a
// one-time EventBridge Scheduler schedule is set for when the lead is due
// (RESPONSE_SLA of opening hours later, rounded up to a Batch boundary); it
// invokes the follow-up function with a Nudge, which nudges the clinic about
// every request nobody has tried that is due by then. A lead's first attempt
// deletes its schedule. The schedule only saves the lead time: a lead whose
// schedule failed is still in the next nudge and the daily digest.
package nudges

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/openclinic/leadhandler/internal/hours"
)

// API is what the guard calls of EventBridge Scheduler.
type API interface {
	CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	DeleteSchedule(ctx context.Context, in *scheduler.DeleteScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error)
}

// Nudge is the schedule's input: the lead, and when it was due (the
// schedule's time, the same on every retry, so waits are said as of then
// and not as of a late delivery). Leads whose schedules share Due are
// nudged together. Schedules armed before batching hold Due to the second.
type Nudge struct {
	LeadID string    `json:"leadId"`
	Due    time.Time `json:"due"`
}

// Event is the whole input the schedule delivers to its target, beside the
// daily schedule's own scheduled-event fields.
type Event struct {
	Nudge *Nudge `json:"nudge,omitempty"`
}

// Settings are the guard's configuration.
type Settings struct {
	// Hours are OPENING_HOURS in TIME_ZONE: only they count towards SLA.
	Hours hours.Hours
	// SLA is RESPONSE_SLA.
	SLA time.Duration
	// TargetARN is NUDGE_TARGET_ARN: the function the schedule invokes.
	TargetARN string
	// RoleARN is NUDGE_ROLE_ARN: the role the scheduler invokes it as.
	RoleARN string
}

// Scheduler creates and deletes the schedules.
type Scheduler struct {
	api API
	set Settings
}

// New returns a guard.
func New(api API, s Settings) *Scheduler { return &Scheduler{api: api, set: s} }

// Name is the schedule's name for lead id: one schedule per lead, so a
// redelivered stream record cannot create a second.
func Name(id string) string {
	if plainID(id) {
		return "lead-" + id
	}
	sum := sha256.Sum256([]byte(id)) // a name allows 64 of [0-9A-Za-z_.-]
	return "lead-" + hex.EncodeToString(sum[:16])
}

// plainID is whether id is 1 to 58 of [0-9A-Za-z_.-]: written out, as the
// regexp's 58-fold repetition cost 0.2 ms and 800 allocations at every
// cold start.
func plainID(id string) bool {
	if len(id) == 0 || len(id) > 58 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Batch is how finely schedules are timed: a lead's schedule is rounded up
// to the next multiple of Batch (on the UTC clock), so leads due within the
// same Batch share one time and one nudge, and the leads due at an opening
// plus RESPONSE_SLA (received while the clinic was closed) share exactly
// that time.
const Batch = 5 * time.Minute

// atLayout is the scheduler's at() expression, in UTC (the schedule's
// default time zone).
const atLayout = "2006-01-02T15:04:05"

// Arm creates lead id's schedule, due RESPONSE_SLA of opening hours after
// created (a minute from now at the earliest), rounded up to a multiple of
// Batch. An existing schedule is success. It returns when the nudge is due.
func (g *Scheduler) Arm(ctx context.Context, id string, created, now time.Time) (time.Time, error) {
	at := g.set.Hours.Due(created, g.set.SLA)
	if soon := now.Add(time.Minute); at.Before(soon) {
		at = soon
	}
	at = RoundUp(at)
	input, err := json.Marshal(Event{Nudge: &Nudge{LeadID: id, Due: at}})
	if err != nil {
		return time.Time{}, err
	}
	_, err = g.api.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:                  aws.String(Name(id)),
		ScheduleExpression:    aws.String("at(" + at.Format(atLayout) + ")"),
		FlexibleTimeWindow:    &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		ActionAfterCompletion: types.ActionAfterCompletionDelete,
		Target: &types.Target{
			Arn:     aws.String(g.set.TargetARN),
			RoleArn: aws.String(g.set.RoleARN),
			Input:   aws.String(string(input)),
		},
	})
	var conflict *types.ConflictException
	if err != nil && !errors.As(err, &conflict) {
		return time.Time{}, fmt.Errorf("create schedule for lead %s: %w", id, err)
	}
	return at, nil
}

// RoundUp is t rounded up to a multiple of Batch, in UTC: never before t.
// Multiples of Batch since Go's zero time fall on the UTC clock's 5
// minutes, and on every zone's too (offsets are whole quarter hours).
func RoundUp(t time.Time) time.Time {
	r := t.UTC().Truncate(Batch)
	if r.Before(t) {
		r = r.Add(Batch)
	}
	return r
}

// Disarm deletes lead id's schedule; one already gone (fired, or never
// created) is success.
func (g *Scheduler) Disarm(ctx context.Context, id string) error {
	_, err := g.api.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(Name(id))})
	var missing *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("delete schedule for lead %s: %w", id, err)
	}
	return nil
}

// ParseAt reads an at() expression's time, as the local runner's scheduler does.
func ParseAt(expr string) (time.Time, error) {
	if len(expr) < 4 || expr[:3] != "at(" || expr[len(expr)-1] != ')' {
		return time.Time{}, fmt.Errorf("want at(yyyy-mm-ddThh:mm:ss), got %q", expr)
	}
	return time.Parse(atLayout, expr[3:len(expr)-1])
}
