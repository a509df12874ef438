package followup

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/submit"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// TestCallBackLoopAgainstEmulators follows leads from the real submit path
// through five days of digests (moto's DynamoDB, the SES emulator) while
// staff work them: attempts are recorded on the store as the staff page
// would (Get, lead.Record, Progress). A lead with no answer comes back the
// day its call-back is due; one booked leaves; one tried MaxAttempts times
// is reported as unreachable once.
func TestCallBackLoopAgainstEmulators(t *testing.T) {
	moto, ses := testenv.Moto(t), testenv.SESLocal(t)
	awsCfg := testenv.AWSConfig(t, moto)
	db := dynamodb.NewFromConfig(awsCfg)
	testenv.CreateTable(t, db, "leads")
	store := ddb.New(db, "leads")
	sender := sesmail.New(sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(ses) }))
	signer, err := link.NewSigner([]byte(strings.Repeat("s", 40)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)

	run := time.Date(2026, 11, 27, 8, 0, 0, 0, newYork) // the first digest
	now := run
	sub, err := submit.New(config.Submit{
		Table: "leads", AllowedOrigins: []string{testenv.ClinicSite}, RateLimit: ratelimit.Limit{},
		Retention: 365 * 24 * time.Hour, PhoneRegion: "US", ConsentVersion: "1", MinFillTime: 2 * time.Second,
	}, store, nil, quiet, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range []struct {
		name, prefers, email string
		age                  time.Duration
	}{
		{"Amelia Hart", "phone", "", 30 * time.Hour},
		{"Bruno Díaz", "text", "", 26 * time.Hour},
		{"Chen Wei", "phone", "", 2 * time.Hour},
		{"Dolores Ortiz", "email", "dolores@example.com", 25 * time.Hour},
	} {
		now = run.Add(-l.age)
		body := fmt.Sprintf(`{"name":%q,"phone":"(202) 555-01%02d","email":%q,"preferredContact":%q,"consent":true,"elapsedMs":8000}`,
			l.name, 40+i, l.email, l.prefers)
		if res, _ := sub.Handle(ctx, testenv.HTTPEvent(t, "application/json", body)); res.StatusCode != 201 {
			t.Fatalf("submit %s: %d %s", l.name, res.StatusCode, res.Body)
		}
	}

	cfg := testConfig()
	cfg.Table = "leads"
	fu := New(cfg, store, sender, signer, quiet, func() time.Time { return now })
	// A clinic open every day, so the weekend's call-backs fall due.
	every, err := hours.Parse("Mon-Sun 09:00-18:00", newYork)
	if err != nil {
		t.Fatal(err)
	}
	policy := lead.Policy{Cadence: []time.Duration{2 * time.Hour, 24 * time.Hour, 48 * time.Hour}, MaxAttempts: 2, Hours: every} // the steps this test walks

	// digest runs the follow-up at at: the digest it sent, if any, and the
	// lead id behind each first name it lists (from its signed links).
	digest := func(at time.Time) (m *testenv.Email, ids map[string]string) {
		t.Helper()
		now = at
		before := len(testenv.SentEmails(t, ses))
		if err := fu.Handle(ctx, Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)}); err != nil {
			t.Fatal(err)
		}
		all := testenv.SentEmails(t, ses)
		if len(all) == before {
			return nil, nil
		}
		if len(all) != before+1 {
			t.Fatalf("%d emails from one run", len(all)-before)
		}
		m = &all[len(all)-1]
		ids = map[string]string{}
		var name string
		for _, line := range strings.Split(m.Body.Text, "\n") {
			if n, _, ok := strings.Cut(line, ", "); ok && line[0] != ' ' && !strings.HasPrefix(line, cfg.ClinicName) {
				name = n
			}
			if u, ok := strings.CutPrefix(line, "  Open: "); ok {
				p, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				ids[name] = strings.TrimPrefix(p.Path, "/leads/")
			}
		}
		return m, ids
	}
	// attempt records what came of trying the lead behind id at at, as the
	// staff page does.
	attempt := func(id string, at time.Time, o lead.Outcome, ch lead.Channel) {
		t.Helper()
		l, err := store.Get(ctx, id, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Record(lead.Event{At: at, Outcome: o, Channel: ch, By: lead.ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Progress(ctx, l, at); err != nil {
			t.Fatal(err)
		}
	}
	want := func(day string, m *testenv.Email, subject string, listed map[string][]string) {
		t.Helper()
		if m == nil {
			t.Fatalf("%s: no digest", day)
		}
		if m.Subject != subject {
			t.Errorf("%s: subject %q, want %q", day, m.Subject, subject)
		}
		if diff := cmp.Diff(sections(m.Body.Text), listed); diff != "" {
			t.Errorf("%s: listed (-got +want):\n%s\n%s", day, diff, m.Body.Text)
		}
	}

	// Day 1: three wait longer than FOLLOW_UP_AFTER, each reached their own way.
	m, ids := digest(run)
	want("27 Nov", m, "3 appointment requests to follow up: 1 to call, 1 to text, 1 to email",
		map[string][]string{notTried: {"Amelia", "Bruno", "Dolores"}})
	for _, s := range []string{"Call (202) 555-0140 at any time", "Text (202) 555-0141 at any time", "Email dolores@example.com", "Or call (202) 555-0143"} {
		if !strings.Contains(m.Body.Text, s) {
			t.Errorf("27 Nov: the digest lacks %q:\n%s", s, m.Body.Text)
		}
	}
	if !strings.Contains(m.Body.HTML, `href="sms:&#43;12025550141"`) {
		t.Error("27 Nov: no sms: link for the patient who prefers texts")
	}
	if m, _ := digest(run.Add(30 * time.Minute)); m != nil {
		t.Error("a second run the same day sent another digest")
	}
	// Nobody answers Amelia's phone; Bruno answers his texts but does not book yet.
	attempt(ids["Amelia"], run.Add(2*time.Hour), lead.NoAnswer, lead.ChannelCall)
	attempt(ids["Bruno"], run.Add(150*time.Minute), lead.Reached, lead.ChannelText)

	// Day 2: both call-backs are due (missed: 12:00 and 12:30 yesterday).
	m, _ = digest(run.Add(24 * time.Hour))
	want("28 Nov", m, "4 appointment requests to follow up: 2 to call, 1 to text, 1 to email",
		map[string][]string{notTried: {"Dolores", "Chen"}, dueToday: {"Amelia", "Bruno"}})
	if !strings.Contains(m.Body.Text, "Call-back was due Fri 27 Nov 2026, 12:00 PM EST; 1 try so far") {
		t.Errorf("28 Nov: Amelia's missed call-back is not told:\n%s", m.Body.Text)
	}
	// Amelia's second no-answer closes her lead (MAX_ATTEMPTS=2); Bruno books.
	attempt(ids["Amelia"], run.Add(26*time.Hour), lead.NoAnswer, lead.ChannelCall)
	attempt(ids["Bruno"], run.Add(26*time.Hour), lead.Booked, lead.ChannelText)
	attempt(ids["Dolores"], run.Add(26*time.Hour), lead.LeftMessage, lead.ChannelEmail)

	// Day 3: Amelia is reported unreachable; Bruno is gone; Dolores's
	// call-back is due, and her request is now 73 hours old: overdue.
	m, ids3 := digest(run.Add(48 * time.Hour))
	want("29 Nov", m, "2 appointment requests to follow up: 1 to call, 1 to email (1 overdue); 1 closed as unreachable",
		map[string][]string{overdue: {"Dolores"}, notTried: {"Chen"}, closedUnr: {"Amelia"}})
	amelia, err := store.Get(ctx, ids3["Amelia"], now)
	if err != nil {
		t.Fatal(err)
	}
	if amelia.Unreported || amelia.Closed != lead.ClosedUnreachable || amelia.Tries != 2 {
		t.Errorf("Amelia after her report: %s, %d tries, unreported %v", amelia.Closed, amelia.Tries, amelia.Unreported)
	}

	attempt(ids["Dolores"], run.Add(50*time.Hour), lead.Booked, lead.ChannelEmail)

	// Day 4: Amelia is not reported again; Chen, now 74 hours waiting, is overdue.
	m, _ = digest(run.Add(72 * time.Hour))
	want("30 Nov", m, "1 appointment request to follow up: 1 to call (1 overdue)", map[string][]string{overdue: {"Chen"}})
}
