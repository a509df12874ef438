// Package nudges is the response guard's schedule: when a lead is stored, a
// one-time EventBridge Scheduler schedule is set for when the lead is due
// (RESPONSE_SLA of opening hours later, rounded up to a Batch boundary); it
// invokes the follow-up function with a Nudge, which nudges the clinic about
// every request nobody has tried that is due by then. A lead's first attempt
// deletes its schedule. The schedule only saves the lead time: a lead whose
// schedule failed is still in the next nudge and the daily digest.
//
// The schedules live in the stack's own group (NUDGE_GROUP), named by a
// keyed hash of the lead's id (Name): the id may be the visitor's own
// submissionId, and neither it nor anything derived from it without the
// link secret's key reaches a schedule's name.
package nudges

import (
	"context"
	"crypto/hmac"
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
	// GetSchedule reads the schedule a create clashed with.
	GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
}

// Keys are the link secret's keys for a purpose, current first: what
// link.Signer's Keys gives.
type Keys interface {
	Keys(purpose string) [][]byte
}

// KeyPurpose is the purpose of the link secret's key that names schedules
// (link.Signer derives one key per purpose).
const KeyPurpose = "schedule-name"

// ErrClash is a schedule of the lead's name that holds another lead: with
// a 128-bit keyed hash, practically never. The lead keeps no schedule of
// its own; the next nudge that takes it in, and the digest, still list it.
var ErrClash = errors.New("a schedule of that name holds another lead")

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
	// Group is NUDGE_GROUP: the schedule group; empty: the default group.
	Group string
	// Keys name the schedules (Name): the link secret's. Required.
	Keys Keys
}

// Scheduler creates and deletes the schedules.
type Scheduler struct {
	api API
	set Settings
}

// New returns a guard.
func New(api API, s Settings) *Scheduler { return &Scheduler{api: api, set: s} }

// Name is the schedule's name for lead id under key: one schedule per
// lead, so a redelivered stream record cannot create a second; "lead-"
// and 128 bits of HMAC-SHA256, so the name says nothing of the id, and
// nobody without the key can choose an id to match another lead's name.
func Name(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return "lead-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// names are lead id's schedule names under every key held, current first:
// a schedule armed before the link secret's rotation has the previous
// key's name.
func (g *Scheduler) names(id string) []string {
	var out []string
	for _, k := range g.set.Keys.Keys(KeyPurpose) {
		out = append(out, Name(k, id))
	}
	return out
}

// group is the GroupName of every call: nil for the default group.
func (g *Scheduler) group() *string {
	if g.set.Group == "" {
		return nil
	}
	return aws.String(g.set.Group)
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
// Batch, and returns when the nudge is due. A schedule of its name that
// already exists for the same lead (a redelivered stream record) is
// success, and its time is returned; one for another lead is ErrClash.
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
	name := g.names(id)[0]
	_, err = g.api.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:                  aws.String(name),
		GroupName:             g.group(),
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
	switch {
	case errors.As(err, &conflict):
		return g.existing(ctx, name, id)
	case err != nil:
		return time.Time{}, fmt.Errorf("create schedule for lead %s: %w", id, err)
	}
	return at, nil
}

// existing reads the schedule named name that a create for lead id
// clashed with: the lead's own (its due time), or ErrClash.
func (g *Scheduler) existing(ctx context.Context, name, id string) (time.Time, error) {
	out, err := g.api.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name), GroupName: g.group()})
	if err != nil {
		return time.Time{}, fmt.Errorf("create schedule for lead %s: it exists, and reading it failed: %w", id, err)
	}
	var e Event
	if out.Target == nil || json.Unmarshal([]byte(aws.ToString(out.Target.Input)), &e) != nil || e.Nudge == nil || e.Nudge.LeadID != id {
		return time.Time{}, fmt.Errorf("create schedule for lead %s: %w", id, ErrClash)
	}
	return e.Nudge.Due, nil
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

// Disarm deletes lead id's schedule, under the name of each key held (one
// but during a rotation of the link secret); one already gone (fired, or
// never created) is success.
func (g *Scheduler) Disarm(ctx context.Context, id string) error {
	var errs []error
	for _, name := range g.names(id) {
		_, err := g.api.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: g.group()})
		var missing *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
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
