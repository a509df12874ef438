package followup

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
	"github.com/openclinic/leadhandler/internal/sesmail"
	"github.com/openclinic/leadhandler/internal/staff"
	"github.com/openclinic/leadhandler/internal/submit"
	"github.com/openclinic/leadhandler/internal/testenv"
)

// TestDigestAndStaffPageAgainstEmulators follows leads from the real submit
// path through three days of digests (moto's DynamoDB, the SES emulator),
// with the staff page opened and then used to record one as booked.
func TestDigestAndStaffPageAgainstEmulators(t *testing.T) {
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
	for _, l := range []struct {
		name string
		age  time.Duration
	}{{"Amelia Hart", 30 * time.Hour}, {"Bruno Díaz", 26 * time.Hour}, {"Chen Wei", 2 * time.Hour}} {
		now = run.Add(-l.age)
		body := fmt.Sprintf(`{"name":%q,"phone":"(202) 555-01%02d","consent":true,"elapsedMs":8000}`, l.name, int(l.age.Hours()))
		if res, _ := sub.Handle(ctx, testenv.HTTPEvent(t, "application/json", body)); res.StatusCode != 201 {
			t.Fatalf("submit %s: %d %s", l.name, res.StatusCode, res.Body)
		}
	}

	cfg := testConfig()
	cfg.Table = "leads"
	fu := New(cfg, store, sender, signer, quiet, func() time.Time { return now })
	pages := staff.New(config.Staff{Table: "leads", ClinicName: cfg.ClinicName, TimeZone: newYork}, store, signer, quiet,
		func() time.Time { return now })

	digest := func(at time.Time) (sent bool, names []string, links map[string]string) {
		t.Helper()
		now = at
		before := len(testenv.SentEmails(t, ses))
		if err := fu.Handle(ctx, Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)}); err != nil {
			t.Fatal(err)
		}
		all := testenv.SentEmails(t, ses)
		if len(all) == before {
			return false, nil, nil
		}
		if len(all) != before+1 {
			t.Fatalf("%d emails from one run", len(all)-before)
		}
		m := all[len(all)-1]
		links = map[string]string{}
		var name string
		for _, line := range strings.Split(m.Body.Text, "\n") {
			if n, _, ok := strings.Cut(strings.TrimPrefix(line, "OVERDUE: "), ", waiting "); ok {
				name = n
				names = append(names, n)
			}
			if u, ok := strings.CutPrefix(line, "  Open: "); ok {
				links[name] = u
			}
		}
		return true, names, links
	}

	sent, names, links := digest(run)
	if !sent {
		t.Fatal("no digest with two leads overdue")
	}
	if diff := cmp.Diff(names, []string{"Amelia", "Bruno"}); diff != "" {
		t.Fatalf("first digest lists (-got +want):\n%s", diff)
	}
	if sent, _, _ := digest(run.Add(3 * time.Hour)); sent {
		t.Error("a second run the same day sent another digest")
	}

	// Staff open Amelia's page twice (as would a mail scanner): nothing changes.
	staffURL, err := url.Parse(links["Amelia"])
	if err != nil {
		t.Fatal(err)
	}
	var page string
	for range 2 {
		res, _ := pages.Handle(ctx, testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", staffURL.RequestURI(), ""))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("staff page: %d %s", res.StatusCode, res.Body)
		}
		page = res.Body
	}
	if _, names, _ := digest(run.Add(24 * time.Hour)); !cmp.Equal(names, []string{"Amelia", "Bruno", "Chen"}) {
		t.Errorf("next day's digest lists %v, want all three (opening a page marks nothing)", names)
	}

	// Then they use the page's own form.
	action := html.UnescapeString(regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(page)[1])
	token := html.UnescapeString(regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(page)[1])
	version := regexp.MustCompile(`name="v" value="([0-9]+)"`).FindStringSubmatch(page)[1]
	target := staffURL.ResolveReference(&url.URL{Path: action})
	form := url.Values{"t": {token}, "v": {version}, "outcome": {"booked"}, "note": {"Tue 10:00"}}
	res, _ := pages.Handle(ctx, testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", target.Path, form.Encode()))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("recording: %d %s", res.StatusCode, res.Body)
	}
	if _, names, _ := digest(run.Add(48 * time.Hour)); !cmp.Equal(names, []string{"Bruno", "Chen"}) {
		t.Errorf("digest after marking lists %v, want Bruno and Chen", names)
	}
}
