package ddb

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

var _ inbox.Source = (*Store)(nil)

// TestInboxOverMinidyn: the inbox read page by page from DynamoDB's lists
// (minidyn) is the one read from the in-memory store holding the same
// leads: every section, in order, each page starting where the last ended.
func TestInboxOverMinidyn(t *testing.T) {
	ctx := context.Background()
	db := minidynClient(t)
	s := New(db, minidynTable(t, db))
	s.pageSize = 2
	mem := storetest.NewMemStore()
	now := time.Date(2026, 5, 8, 12, 0, 0, 0, time.UTC)
	policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts}
	event := func(o lead.Outcome, at, callback time.Time) lead.Event {
		return lead.Event{At: at, Outcome: o, Channel: lead.ChannelCall, By: lead.ByLink, Callback: callback}
	}
	for i := range 12 {
		l := storetest.Lead(now.Add(-time.Duration(48+i*5) * time.Hour))
		tried := l.CreatedAt.Add(time.Hour)
		var err error
		switch i % 4 {
		case 1: // due: a call-back before now
			err = l.Record(event(lead.NoAnswer, tried, now.Add(-time.Duration(i)*time.Minute)), policy)
		case 2: // later: a call-back tomorrow
			err = l.Record(event(lead.LeftMessage, tried, now.Add(time.Duration(24*60+i)*time.Minute)), policy)
		case 3: // closed: some within the week, some before
			err = l.Record(event(lead.Booked, now.Add(-time.Duration(i*20)*time.Hour), time.Time{}), policy)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		if err := mem.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}
	read := func(src inbox.Source) []string {
		var out []string
		q := inbox.Query{Show: inbox.ShowAll, Size: 3}
		for range 20 {
			p, err := inbox.Read(ctx, src, q, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Rows {
				out = append(out, string(rune('0'+r.Section))+" "+r.Lead.ID)
			}
			if p.Next == nil {
				return out
			}
			q.After, q.Started = *p.Next, true
		}
		t.Fatal("more than 20 pages")
		return nil
	}
	want := read(mem)
	if len(want) < 8 {
		t.Fatalf("test premise: only %d rows in memory", len(want))
	}
	if diff := cmp.Diff(read(s), want); diff != "" {
		t.Errorf("inbox over DynamoDB (-got +want in memory):\n%s", diff)
	}
}
