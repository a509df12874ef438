package mailevents

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// sampleMessageID is the message id of AWS's sample events.
const sampleMessageID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"

type fixture struct {
	store *ddb.Store
	h     *Handler
	logs  *bytes.Buffer
	// now is the fixture's clock: the leads are stored and read at it (the
	// handler itself reads no clock, SES's events carry their own times).
	now time.Time
}

func newFixture(t *testing.T) fixture {
	endpoint := testenv.Moto(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	table := "leads-" + uuid.NewString()[:8]
	testenv.CreateTable(t, db, table)
	logs := &bytes.Buffer{}
	store := ddb.New(db, table)
	return fixture{
		store: store, h: New(store, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), logs: logs,
		now: time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC),
	}
}

// alerted stores a lead whose alert went out as AWS's sample message.
func (f fixture) alerted(t *testing.T) lead.Lead {
	t.Helper()
	ctx := context.Background()
	l := lead.New(uuid.NewString(), lead.Request{
		Name: "Pat Doe", Phone: "+15555550100", Email: "pat@example.com", PreferredContact: lead.ByPhone,
		PreferredTime: lead.Morning, Reason: "Back pain", ConsentVersion: "1",
	}, f.now, 24*time.Hour)
	if err := f.store.Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkAlerted(ctx, l.ID, lead.Delivery{At: l.CreatedAt, MessageID: sampleMessageID}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, l.ID, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f fixture) get(t *testing.T, id string) lead.Lead {
	t.Helper()
	l, err := f.store.Get(context.Background(), id, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func at(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

func TestSampleEventsRecordedOnTheLead(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		file      string
		want      func(d *lead.Delivery)
		failedLog bool
	}{
		{"ses-delivery.json", func(d *lead.Delivery) { d.DeliveredAt = at("2016-10-19T23:21:04.133Z") }, false},
		{"ses-bounce.json", func(d *lead.Delivery) {
			d.Problem, d.ProblemAt, d.BounceType, d.BounceSubType = lead.MailBounced, at("2017-08-05T00:41:02.669Z"), "Permanent", "General"
		}, true},
		{"ses-complaint.json", func(d *lead.Delivery) { d.Problem, d.ProblemAt = lead.MailComplained, at("2017-08-05T00:41:02.669Z") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f.logs.Reset()
			l, other := f.alerted(t), f.alerted(t)
			e := testenv.SESEvent(t, tt.file, l.ID, "alert")
			if err := f.h.Handle(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			got := f.get(t, l.ID)
			want := *l.Alert
			tt.want(&want)
			if diff := cmp.Diff(got.Alert, &want); diff != "" {
				t.Errorf("alert (-got +want):\n%s", diff)
			}
			if got.Version != l.Version+1 {
				t.Errorf("version %d, want %d", got.Version, l.Version+1)
			}
			if o := f.get(t, other.ID); !cmp.Equal(o, other) {
				t.Errorf("another lead changed: %+v", o.Alert)
			}

			// Redelivered: nothing changes, not even the version.
			if err := f.h.Handle(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if again := f.get(t, l.ID); !cmp.Equal(again, got) {
				t.Errorf("a redelivered event changed the lead: %+v, version %d", again.Alert, again.Version)
			}
			logs := f.logs.String()
			if strings.Contains(logs, `"msg":"`+AlertFailed+`"`) != tt.failedLog {
				t.Errorf("alert-failed line logged: %v, want %v:\n%s", !tt.failedLog, tt.failedLog, logs)
			}
			// "550 5.1.1" is the bounce's diagnostic code: a bare "550" also
			// turns up in a log line's nanoseconds now and then.
			for _, secret := range []string{"@", "550 5.1.1", "user unknown", "Mozilla"} {
				if strings.Contains(logs, secret) {
					t.Errorf("logs hold %q:\n%s", secret, logs)
				}
			}
		})
	}
}

func TestEventsNotRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	t.Run("unknown lead: ignored, nothing created", func(t *testing.T) {
		id := uuid.NewString()
		if err := f.h.Handle(ctx, testenv.SESEvent(t, "ses-bounce.json", id, "alert")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Get(ctx, id, f.now); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("lead %s after its event: %v, want lead.ErrNotFound", id, err)
		}
	})
	t.Run("not the alert: the acknowledgement, a digest", func(t *testing.T) {
		l := f.alerted(t)
		for _, kind := range []string{"ack", "digest", ""} {
			if err := f.h.Handle(ctx, testenv.SESEvent(t, "ses-bounce.json", l.ID, kind)); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.get(t, l.ID); !cmp.Equal(got, l) {
			t.Errorf("lead changed: %+v", got.Alert)
		}
	})
	t.Run("another message than the alert recorded", func(t *testing.T) {
		l := f.alerted(t)
		e := testenv.SESEvent(t, "ses-delivery.json", l.ID, "alert")
		e.Detail = []byte(strings.ReplaceAll(string(e.Detail), sampleMessageID, "another-message"))
		if err := f.h.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, l.ID); !cmp.Equal(got, l) {
			t.Errorf("lead changed: %+v", got.Alert)
		}
	})
}

// TestStoreFailureIsRetried: only a store failure is an error, so Lambda's
// async retries bring the event again.
func TestStoreFailureIsRetried(t *testing.T) {
	h := New(storeFunc(func(context.Context, string, lead.MailOutcome) error { return errors.New("throttled") }), slog.New(slog.DiscardHandler))
	e := testenv.SESEvent(t, "ses-delivery.json", "lead-1", "alert")
	if err := h.Handle(context.Background(), e); err == nil {
		t.Error("no error")
	}
}

type storeFunc func(context.Context, string, lead.MailOutcome) error

func (f storeFunc) RecordAlertOutcome(ctx context.Context, id string, o lead.MailOutcome) error {
	return f(ctx, id, o)
}
