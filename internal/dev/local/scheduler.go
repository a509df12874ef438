package local

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/fn/followup"
)

// schedules stands in for EventBridge Scheduler's one-time schedules (the
// response guard's): the functions create and delete them through the same
// nudges.API the SDK's client fills on AWS. When the runner's clock (the
// wall clock, moved on by POST /_local/clock) passes a schedule's at()
// time, its input is delivered to the follow-up function and the schedule
// is deleted, as ActionAfterCompletion DELETE does. As on AWS, a schedule
// lives in a group, which must exist: the account's default group, or one
// of groups (the template's NudgeScheduleGroup, as NUDGE_GROUP names it).
type schedules struct {
	fireMu sync.Mutex // one firing at a time: a clock move waits for the tick's deliveries
	mu     sync.Mutex
	// groups are the schedule groups besides the default one.
	groups  []string
	byName  map[groupName]schedule
	offset  time.Duration // how far POST /_local/clock moved the clock on
	deliver func(context.Context, followup.Event) error
	log     *slog.Logger
}

// groupName is a schedule's key: its name within its group.
type groupName struct{ group, name string }

// key is where a call's schedule is, or ResourceNotFoundException for a
// group that does not exist, as AWS answers.
func (s *schedules) key(group *string, name *string) (groupName, error) {
	g := aws.ToString(group)
	if g == "" {
		g = "default"
	}
	if g != "default" && !slices.Contains(s.groups, g) {
		return groupName{}, &types.ResourceNotFoundException{Message: aws.String("Schedule group " + g + " does not exist.")}
	}
	return groupName{g, aws.ToString(name)}, nil
}

type schedule struct {
	name  string
	at    time.Time
	in    *scheduler.CreateScheduleInput
	input string
}

var _ nudges.API = (*schedules)(nil)

func (s *schedules) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	at, err := nudges.ParseAt(aws.ToString(in.ScheduleExpression))
	if err != nil {
		return nil, &types.ValidationException{Message: aws.String(err.Error())}
	}
	if in.Target == nil || in.Target.Input == nil {
		return nil, &types.ValidationException{Message: aws.String("target input missing")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.key(in.GroupName, in.Name)
	if err != nil {
		return nil, err
	}
	if _, ok := s.byName[k]; ok {
		return nil, &types.ConflictException{Message: aws.String("Schedule " + k.name + " already exists.")}
	}
	if s.byName == nil {
		s.byName = map[groupName]schedule{}
	}
	s.byName[k] = schedule{name: k.name, at: at, in: in, input: aws.ToString(in.Target.Input)}
	return &scheduler.CreateScheduleOutput{ScheduleArn: aws.String("arn:aws:scheduler:local:000000000000:schedule/" + k.group + "/" + k.name)}, nil
}

func (s *schedules) DeleteSchedule(_ context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.key(in.GroupName, in.Name)
	if err != nil {
		return nil, err
	}
	if _, ok := s.byName[k]; !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Schedule " + k.name + " does not exist.")}
	}
	delete(s.byName, k)
	return &scheduler.DeleteScheduleOutput{}, nil
}

// GetSchedule reads a schedule back, as the guard does after a clash and
// the contract (nudgestest) does.
func (s *schedules) GetSchedule(_ context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.key(in.GroupName, in.Name)
	if err != nil {
		return nil, err
	}
	sc, ok := s.byName[k]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Schedule " + k.name + " does not exist.")}
	}
	return &scheduler.GetScheduleOutput{
		Name: in.Name, GroupName: aws.String(k.group), ScheduleExpression: sc.in.ScheduleExpression, ActionAfterCompletion: sc.in.ActionAfterCompletion,
		FlexibleTimeWindow: sc.in.FlexibleTimeWindow, Target: sc.in.Target,
	}, nil
}

// now is the runner's clock.
func (s *schedules) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// advance moves the runner's clock on by d.
func (s *schedules) advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// pending lists the schedules not yet fired, soonest first.
func (s *schedules) pending() []schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []schedule
	for _, sc := range s.byName {
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// fire delivers every schedule due by the runner's clock, each once, and
// returns how many it delivered. A failed delivery is tried twice more,
// as Lambda retries an asynchronous invocation.
func (s *schedules) fire(ctx context.Context) int {
	s.fireMu.Lock()
	defer s.fireMu.Unlock()
	s.mu.Lock()
	now := time.Now().Add(s.offset)
	var due []schedule
	for name, sc := range s.byName {
		if !sc.at.After(now) {
			due = append(due, sc)
			delete(s.byName, name)
		}
	}
	s.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, sc := range due {
		var e followup.Event
		if err := json.Unmarshal([]byte(sc.input), &e); err != nil {
			s.log.Error("scheduler: input is not an event", "schedule", sc.name, "err", err)
			continue
		}
		for try := 1; ; try++ {
			err := s.deliver(ctx, e)
			if err == nil {
				break
			}
			if try == 3 {
				s.log.Error("scheduler: delivery failed after retries", "schedule", sc.name, "err", err)
				break
			}
		}
	}
	return len(due)
}

// run fires due schedules every tick until stop is closed, so make dev
// nudges as time passes without anyone moving the clock.
func (s *schedules) run(tick time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.fire(context.Background())
		}
	}
}

// clockState is what /_local/clock answers.
type clockState struct {
	Now     time.Time         `json:"now"`
	Offset  string            `json:"offset"`
	Fired   int               `json:"fired"`
	Pending []pendingSchedule `json:"pending"`
}

type pendingSchedule struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// clock serves GET /_local/clock (the runner's time and the schedules
// waiting) and POST /_local/clock?advance=20m (moves it on, then fires
// what fell due).
func (s *Server) clock(w http.ResponseWriter, r *http.Request) {
	s.stream.wait() // a lead just stored has its schedule
	var st clockState
	if r.Method == http.MethodPost {
		d, err := time.ParseDuration(r.FormValue("advance"))
		if err != nil || d < 0 {
			http.Error(w, fmt.Sprintf("advance: want a duration such as 20m or 14h, got %q", r.FormValue("advance")), http.StatusBadRequest)
			return
		}
		s.sched.advance(d)
		if err := s.recordClock(); err != nil {
			http.Error(w, "record the clock for make report: "+err.Error(), http.StatusInternalServerError)
			return
		}
		st.Fired = s.sched.fire(r.Context())
	}
	st.Now = s.sched.now().UTC().Truncate(time.Second)
	s.sched.mu.Lock()
	st.Offset = s.sched.offset.String()
	s.sched.mu.Unlock()
	st.Pending = []pendingSchedule{}
	for _, sc := range s.sched.pending() {
		st.Pending = append(st.Pending, pendingSchedule{Name: sc.name, At: sc.at})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// recordClock rewrites what make report LOCAL=1 reads of make dev with the
// clock's offset now, so the figures read the functions' time.
func (s *Server) recordClock() error {
	if s.local == nil {
		return nil
	}
	s.sched.mu.Lock()
	defer s.sched.mu.Unlock()
	s.local.ClockOffset = s.sched.offset
	return ops.WriteLocal(s.localDir, *s.local)
}
