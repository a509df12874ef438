package ddb

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

// previousItem is a lead exactly as the version before the call-back loop
// wrote it: status "contacted" with contactedAt, outcome and note once staff
// marked it, else status "new" with the pending marker.
func previousItem(id, status string, extra map[string]types.AttributeValue) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"pk":               str("lead#" + id),
		"kind":             str("lead"),
		"id":               str(id),
		"status":           str(status),
		"createdAt":        str("2026-11-20T14:00:00.000000Z"),
		"name":             str("Margaret Hale"),
		"phone":            str("+12025550143"),
		"email":            str("margaret@example.com"),
		"preferredContact": str("phone"),
		"preferredTime":    str("morning"),
		"reason":           str("Knee pain"),
		"consentAt":        str("2026-11-20T14:00:00.000000Z"),
		"consentVersion":   str("1"),
		"page":             str("https://www.example-clinic.com/blog/knees"),
		"expiresAt":        num(time.Date(2027, 11, 20, 14, 0, 0, 0, time.UTC).Unix()),
		"alertedAt":        str("2026-11-20T14:00:02.000000Z"),
		"alertMessageId":   str("ses-1"),
	}
	for k, v := range extra {
		item[k] = v
	}
	return item
}

// TestPreviousVersionsLeads: leads the previous version stored are read
// as what they were and move on through the call-back loop, on minidyn
// (make dev) and on moto.
func TestPreviousVersionsLeads(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) (*dynamodb.Client, string){
		"minidyn": func(t *testing.T) (*dynamodb.Client, string) {
			db := minidynClient(t)
			return db, minidynTable(t, db)
		},
		"moto": func(t *testing.T) (*dynamodb.Client, string) {
			db := openMoto(t)
			testenv.CreateTable(t, db, "leads")
			return db, "leads"
		},
	}
	contactedAt := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			db, table := open(t)
			s := New(db, table)
			put := func(item map[string]types.AttributeValue) {
				t.Helper()
				if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
					t.Fatal(err)
				}
			}
			noAnswer, booked, untried := uuid.NewString(), uuid.NewString(), uuid.NewString()
			put(previousItem(noAnswer, "contacted", map[string]types.AttributeValue{
				"contactedAt": str("2026-11-20T15:00:00.000000Z"), "outcome": str("no-answer"), "note": str("Rang twice"),
			}))
			put(previousItem(booked, "contacted", map[string]types.AttributeValue{
				"contactedAt": str("2026-11-20T15:00:00.000000Z"), "outcome": str("booked"),
			}))
			put(previousItem(untried, "new", map[string]types.AttributeValue{"pending": str("new")}))

			t.Run("a failed call: open, its one attempt in the history", func(t *testing.T) {
				l, err := s.Get(ctx, noAnswer, now)
				if err != nil {
					t.Fatal(err)
				}
				want := []lead.Event{{At: contactedAt, Kind: lead.EventAttempt, Outcome: lead.NoAnswer, Channel: lead.ChannelCall, Note: "Rang twice", By: lead.ByLink}}
				if diff := cmp.Diff(l.History, want); diff != "" {
					t.Errorf("history (-got +want):\n%s", diff)
				}
				if l.Status != lead.StatusOpen || l.Tries != 1 || !l.FirstAttempt.Equal(contactedAt) || !l.FirstReach.IsZero() || l.Alert == nil {
					t.Errorf("read as %+v", l)
				}
				// The next attempt books: stored in today's format.
				if err := l.Record(lead.Event{At: now, Outcome: lead.Booked, Channel: lead.ChannelCall, By: lead.ByLink}, policy); err != nil {
					t.Fatal(err)
				}
				got, err := s.Progress(ctx, l, now)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != lead.StatusClosed || got.Closed != lead.ClosedBooked || len(got.History) != 2 || got.Version != 1 {
					t.Errorf("after booking: %+v", got)
				}
				out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: pk(leadKey(noAnswer)), ConsistentRead: aws.Bool(true)})
				if err != nil {
					t.Fatal(err)
				}
				for _, old := range []string{"contactedAt", "outcome", "note", "pending"} {
					if _, ok := out.Item[old]; ok {
						t.Errorf("the stored item still has %s", old)
					}
				}
				if _, ok := out.Item["alertedAt"]; !ok {
					t.Error("the alert record was lost")
				}
			})
			t.Run("a booked one: closed as booked", func(t *testing.T) {
				l, err := s.Get(ctx, booked, now)
				if err != nil {
					t.Fatal(err)
				}
				if l.Status != lead.StatusClosed || l.Closed != lead.ClosedBooked || !l.FirstReach.Equal(contactedAt) || len(l.History) != 1 {
					t.Errorf("read as %+v", l)
				}
			})
			t.Run("an untried one: pending, then due once tried", func(t *testing.T) {
				var listed []string
				for l, err := range s.Pending(ctx, now, now) {
					if err != nil {
						t.Fatal(err)
					}
					listed = append(listed, l.ID)
				}
				if diff := cmp.Diff(listed, []string{untried}); diff != "" {
					t.Fatalf("pending (-got +want):\n%s", diff)
				}
				l, _ := s.Get(ctx, untried, now)
				if err := l.Record(lead.Event{At: now, Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: lead.ByLink}, policy); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Progress(ctx, l, now); err != nil {
					t.Fatal(err)
				}
				listed = nil
				for l, err := range s.Due(ctx, now.Add(72*time.Hour), now) {
					if err != nil {
						t.Fatal(err)
					}
					listed = append(listed, l.ID)
				}
				if diff := cmp.Diff(listed, []string{untried}); diff != "" {
					t.Errorf("due (-got +want):\n%s", diff)
				}
			})
			t.Run("recently closed: only leads closed since the upgrade", func(t *testing.T) {
				// The booked one closed before it and has no list attribute:
				// it is not listed (nothing is migrated); the failed call
				// booked above is.
				var listed []string
				for l, err := range s.List(ctx, inbox.Closed, inbox.Span{Newest: true}, now) {
					if err != nil {
						t.Fatal(err)
					}
					listed = append(listed, l.ID)
				}
				if diff := cmp.Diff(listed, []string{noAnswer}); diff != "" {
					t.Errorf("closed (-got +want):\n%s", diff)
				}
			})
		})
	}
}

// TestPreviousVersionsSessions: a session from an emailed link as 1.0.x
// stored it (its leads a set, no end of their own) opens its leads until
// the session's end, and ends with the other link sessions; this version's
// items keep the set too, so a version rolled back still opens them.
func TestPreviousVersionsSessions(t *testing.T) {
	ctx := context.Background()
	db := minidynClient(t)
	table := minidynTable(t, db)
	s := New(db, table)
	created := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	end := created.Add(12 * time.Hour)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": str("session#0ld"), "kind": str("session"), "leads": &types.AttributeValueMemberSS{Value: []string{"lead-a", "held-review"}},
		"createdAt": str("2026-11-20T14:00:00.000000Z"), "expiresAt": num(end.Unix()),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, "0ld", created.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"lead-a": end, "held-review": end}
	if diff := cmp.Diff(got.Scopes, want); diff != "" || !got.Created.Equal(created) {
		t.Errorf("1.0.x link session: created %v, scopes (-got +want):\n%s", got.Created, diff)
	}
	if err := s.EndLinkSessions(ctx, created.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "0ld", created.Add(time.Hour)); err == nil {
		t.Error("the 1.0.x link session outlived ending the link sessions")
	}

	fresh := access.Session{Hash: "n3w", Created: created.Add(time.Hour), Expires: end,
		Scopes: map[string]time.Time{"lead-b": created.Add(3 * time.Hour)}}
	if err := s.CreateSession(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: pk(sessionKey("n3w"))})
	if err != nil {
		t.Fatal(err)
	}
	if set, ok := out.Item["leads"].(*types.AttributeValueMemberSS); !ok || !cmp.Equal(set.Value, []string{"lead-b"}) {
		t.Errorf("a new link session's leads set: %#v", out.Item["leads"])
	}
}
