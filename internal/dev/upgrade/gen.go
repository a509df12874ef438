//go:build ignore

// gen writes every kind of item this release stores into a table (minidyn,
// make dev's in-process DynamoDB, created from template.yaml) through the
// store's own code, then prints the table as DynamoDB JSON: the fixture of
// package upgrade. Times are fixed; expiries are far off, so the items
// still count when the test reads them years later.
//
//	go run ./internal/dev/upgrade/gen.go -out internal/dev/upgrade/testdata/<release>.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/truora/minidyn/server"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// The secrets behind the fixture's session and sign-in code; the test
// (upgrade_test.go) holds the same. Test values, never a deployment's.
const (
	linkSecret  = "fixture-link-secret-0123456789abcdef0123456789abcdef"
	sessionID   = "fixture-session-id-signed-in"
	linkSession = "fixture-session-id-from-a-link"
	staffEmail  = "frontdesk@example-clinic.com"
	signInCode  = "123456"
)

var (
	day     = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	far     = time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	keep    = far.Sub(day)
	policy  = lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 2, Hours: weekdays()}
	request = lead.Request{
		Name: "Margaret Hale", Phone: "+12025550143", PhoneDisplay: "(202) 555-0143", Email: "margaret@example.com",
		PreferredContact: lead.ByPhone, PreferredTime: lead.Morning, Reason: "Knee pain after running", ConsentVersion: "2",
		Page: "https://www.example-clinic.com/knees", UTM: map[string]string{"utm_source": "google", "gclid": "abc123"},
		Referrer: "https://www.google.com", LandingPath: "/knees",
	}
)

// weekdays are the default opening hours (hours.Default), in UTC.
func weekdays() hours.Hours {
	h, err := hours.Parse(hours.Default, time.UTC)
	check(err)
	return h
}

func main() {
	out := flag.String("out", "", "the fixture file to write (it must not exist)")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	if _, err := os.Stat(*out); err == nil {
		log.Fatalf("%s exists: a committed fixture is a release's record, never rewritten", *out)
	}
	ctx := context.Background()
	srv := httptest.NewServer(server.NewServer())
	defer srv.Close()
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
	tpl, err := samtemplate.Load("template.yaml")
	check(err)
	in, err := samtemplate.TableInput(tpl, samtemplate.TableLogicalID, "leads")
	check(err)
	in.Create.StreamSpecification = nil
	_, err = db.CreateTable(ctx, in.Create)
	check(err)
	s := ddb.New(db, "leads")

	id := func(n int) string { return fmt.Sprintf("0f1d2e3c-%04d-4000-8000-00000000%04d", n, n) }
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	save := func(l lead.Lead) { check(s.Save(ctx, l, nil)) }
	attempt := func(l *lead.Lead, o lead.Outcome, h int) {
		check(l.Record(lead.Event{At: at(h), Outcome: o, Channel: lead.ChannelCall, By: staffEmail, Note: "Called"}, policy))
	}

	// new, alerted, acknowledged and nudged; its alert delivered.
	l := lead.New(id(1), request, day, keep)
	save(l)
	check(s.MarkAlerted(ctx, l.ID, lead.Delivery{At: at(0), MessageID: "ses-alert-1"}))
	check(s.MarkAcknowledged(ctx, l.ID, lead.Delivery{At: at(0), MessageID: "ses-ack-1"}))
	check(s.MarkNudged(ctx, l.ID, lead.Delivery{At: at(1), MessageID: "ses-nudge-1"}))
	check(s.RecordAlertOutcome(ctx, l.ID, lead.MailOutcome{Event: lead.MailDelivered, MessageID: "ses-alert-1", At: at(0)}))

	// new, its alert never sent (the digest's "never went out").
	r := request
	r.Email, r.PreferredContact, r.Reason, r.UTM, r.Referrer, r.LandingPath = "", lead.ByText, "", nil, "", ""
	save(lead.New(id(2), r, day, keep))

	// new, its alert bounced.
	l = lead.New(id(3), request, day, keep)
	save(l)
	check(s.MarkAlerted(ctx, l.ID, lead.Delivery{At: at(0), MessageID: "ses-alert-3"}))
	check(s.RecordAlertOutcome(ctx, l.ID, lead.MailOutcome{Event: lead.MailBounced, MessageID: "ses-alert-3", At: at(0), BounceType: "Permanent", BounceSubType: "NoEmail"}))

	// open: one try, a call-back due; and one reached, not booked.
	for n, o := range map[int]lead.Outcome{4: lead.NoAnswer, 5: lead.Reached} {
		l = lead.New(id(n), request, day, keep)
		save(l)
		// Lead 5's alert as AWS's sample SES events name it, so the test
		// can deliver it.
		mid := fmt.Sprintf("ses-alert-%d", n)
		if n == 5 {
			mid = testenv.SESSampleMessageID
		}
		check(s.MarkAlerted(ctx, l.ID, lead.Delivery{At: at(0), MessageID: mid}))
		l, err = s.Get(ctx, l.ID, at(1))
		check(err)
		attempt(&l, o, 1)
		l, err = s.Progress(ctx, l, at(1))
		check(err)
	}

	// closed for each reason; unreachable not yet reported by a digest.
	for n, os := range map[int][]lead.Outcome{
		6: {lead.Booked}, 7: {lead.NotInterested}, 8: {lead.WrongNumber}, 9: {lead.NoAnswer, lead.LeftMessage},
	} {
		l = lead.New(id(n), request, day, keep)
		save(l)
		for i, o := range os {
			l, err = s.Get(ctx, l.ID, at(1+i))
			check(err)
			attempt(&l, o, 1+i)
			l, err = s.Progress(ctx, l, at(1+i))
			check(err)
		}
	}

	// held for review, counted for its day; and one released into a lead.
	held := lead.NewHeld(id(10), request, lead.Trap{Honeypot: true}, day, keep)
	check(s.Hold(ctx, held, day.Format(time.DateOnly), nil))
	released := lead.NewHeld(id(11), request, lead.Trap{Honeypot: true}, day, keep)
	check(s.Hold(ctx, released, day.Format(time.DateOnly), nil))
	check(s.ReleaseHeld(ctx, released.Release(at(2), keep), at(2)))

	// a rate counter, as submit charges it.
	limit := ratelimit.Limit{Count: 5, Window: time.Hour}
	check(s.Charge(ctx, limit.ChargeFor([]byte("fixture-salt"), "198.51.100.7", day)))
	c := limit.ChargeFor([]byte("fixture-salt"), "198.51.100.7", day)
	c.Until = far
	check(s.Charge(ctx, c))

	// run markers: a digest done, one claimed and never finished.
	check(s.ClaimRun(ctx, "digest#2026-11-20", day, time.Minute, keep))
	check(s.FinishRun(ctx, "digest#2026-11-20"))
	check(s.ClaimRun(ctx, "digest#2026-11-19", day, time.Minute, keep))

	// sessions: signed in, and one an emailed link began; a sign-in code
	// tried once; audit entries of both kinds.
	check(s.CreateSession(ctx, access.Session{Hash: access.IDHash(sessionID), Email: staffEmail, Created: day, Expires: far}))
	check(s.CreateSession(ctx, access.Session{Hash: access.IDHash(linkSession), Scopes: map[string]time.Time{id(1): far}, Created: day, Expires: far}))
	signer, err := link.NewSigner([]byte(linkSecret))
	check(err)
	browser := access.IDHash("fixture-code-cookie") // a code is its browser's (issue 27)
	check(s.PutCode(ctx, access.Code{Email: staffEmail, Browser: browser, Digest: access.CodeDigest(signer.Key("signin-code"), staffEmail, signInCode), Expires: far}))
	_, err = s.TryCode(ctx, staffEmail, browser, day)
	check(err)
	for _, e := range []access.AuditEntry{
		{At: at(1), Actor: staffEmail, Action: access.SignIn, RequestID: "req-1"},
		{At: at(1), Actor: staffEmail, Action: access.View, Lead: id(4), RequestID: "req-2"},
		{At: at(1), Actor: access.ByLink, Action: access.Attempt, Lead: id(4), RequestID: "req-3"},
		{At: at(2), Actor: staffEmail, Action: access.Release, Lead: id(11), RequestID: "req-4"},
	} {
		e.Expires = far
		check(s.Audit(ctx, e))
	}

	// Leads as the version before the call-back loop left them, which no
	// migration rewrote (ddb's legacyContact reads them): status
	// "contacted", its one contact in contactedAt, outcome and note.
	for n, o := range map[int]string{12: "no-answer", 13: "booked"} {
		l = lead.New(id(n), request, day, keep)
		save(l)
		check(s.MarkAlerted(ctx, l.ID, lead.Delivery{At: at(0), MessageID: fmt.Sprintf("ses-alert-%d", n)}))
		key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "lead#" + l.ID}}
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("leads"), Key: key})
		check(err)
		it := got.Item
		delete(it, "pending")
		delete(it, "version")
		it["status"] = &types.AttributeValueMemberS{Value: "contacted"}
		it["contactedAt"] = &types.AttributeValueMemberS{Value: "2026-11-20T15:00:00.000000Z"}
		it["outcome"] = &types.AttributeValueMemberS{Value: o}
		it["note"] = &types.AttributeValueMemberS{Value: "Rang twice"}
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("leads"), Item: it})
		check(err)
	}

	// The table, item by item, in DynamoDB JSON, sorted by key.
	var items []map[string]types.AttributeValue
	for p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String("leads")}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		check(err)
		items = append(items, page.Items...)
	}
	var docs []map[string]any
	for _, it := range items {
		img, err := ddb.ToStream(it)
		check(err)
		b, err := json.Marshal(img)
		check(err)
		var doc map[string]any
		check(json.Unmarshal(b, &doc))
		docs = append(docs, doc)
	}
	sort.Slice(docs, func(i, j int) bool { return fmt.Sprint(docs[i]["pk"]) < fmt.Sprint(docs[j]["pk"]) })
	b, err := json.MarshalIndent(docs, "", " ")
	check(err)
	check(os.WriteFile(*out, append(b, '\n'), 0o644))
	log.Printf("%d items written to %s", len(docs), *out)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
