package staff

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/openclinic/leadhandler/internal/lead"
)

type disarmed struct {
	ids  []string
	fail error
}

func (d *disarmed) Disarm(_ context.Context, id string) error {
	d.ids = append(d.ids, id)
	return d.fail
}

func TestFirstAttemptDeletesTheSchedule(t *testing.T) {
	f := newFixture(t)
	g := &disarmed{}
	f.h.WithGuard(g)
	f.record(t, lead.LeftMessage)
	f.record(t, lead.LeftMessage)
	if want := []string{f.lead.ID}; !slices.Equal(g.ids, want) {
		t.Errorf("deleted %v, want %v: once, at the first attempt", g.ids, want)
	}
}

func TestScheduleNotDeletedStillRecords(t *testing.T) {
	f := newFixture(t)
	f.h.WithGuard(&disarmed{fail: errors.New("throttled")})
	f.record(t, lead.LeftMessage) // fails the test unless 303
	if got := f.stored(t); got.Status != lead.StatusOpen {
		t.Errorf("status %s, want open", got.Status)
	}
}
