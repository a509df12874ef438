package upgrade_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/followup"
	"github.com/openclinic/leadhandler/internal/fn/mailevents"
	"github.com/openclinic/leadhandler/internal/fn/notify"
	"github.com/openclinic/leadhandler/internal/fn/staff"
	"github.com/openclinic/leadhandler/internal/fn/submit"
	"github.com/openclinic/leadhandler/internal/lead"
)

// What gen.go wrote the fixture with (test values, never a deployment's).
const (
	linkSecret  = "fixture-link-secret-0123456789abcdef0123456789abcdef"
	sessionID   = "fixture-session-id-signed-in"
	linkSession = "fixture-session-id-from-a-link"
	staffEmail  = "frontdesk@example-clinic.com"
	signInCode  = "123456"
)

// The fixture's leads (gen.go): what each was when the release stored it.
const (
	newAlerted    = "0f1d2e3c-0001-4000-8000-000000000001"
	newNoAlert    = "0f1d2e3c-0002-4000-8000-000000000002"
	newBounced    = "0f1d2e3c-0003-4000-8000-000000000003"
	openNoAnswer  = "0f1d2e3c-0004-4000-8000-000000000004"
	openReached   = "0f1d2e3c-0005-4000-8000-000000000005" // its alert is AWS's sample SES message
	closedBooked  = "0f1d2e3c-0006-4000-8000-000000000006"
	closedNotInt  = "0f1d2e3c-0007-4000-8000-000000000007"
	closedWrong   = "0f1d2e3c-0008-4000-8000-000000000008"
	closedUnreach = "0f1d2e3c-0009-4000-8000-000000000009" // not yet reported
	heldID        = "0f1d2e3c-0010-4000-8000-000000000010"
	releasedID    = "0f1d2e3c-0011-4000-8000-000000000011"
	legacyNoAns   = "0f1d2e3c-0012-4000-8000-000000000012" // status "contacted"
	legacyBooked  = "0f1d2e3c-0013-4000-8000-000000000013" // status "contacted"
)

var allLeads = []string{newAlerted, newNoAlert, newBounced, openNoAnswer, openReached, closedBooked, closedNotInt,
	closedWrong, closedUnreach, releasedID, legacyNoAns, legacyBooked}

// fixtures are the releases whose items this release must read.
var fixtures = []string{"before-1.0.0.json"}

// load puts a fixture's items into the table as they were stored.
func load(t *testing.T, db *dynamodb.Client, file string) []map[string]types.AttributeValue {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var items []map[string]types.AttributeValue
	for _, d := range docs {
		item, err := ddb.FromStream(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("leads"), Item: item}); err != nil {
			t.Fatal(err)
		}
		items = append(items, item)
	}
	return items
}

// TestEveryFunctionReadsThePreviousRelease: a table as each earlier
// release left it (every kind of item: leads in every status and the
// legacy "contacted" shape, held requests and their day's count, rate
// counters, run markers, sessions, a sign-in code, audit entries) is read
// and acted on by every function of this release, on moto: an upgrade
// strands nothing.
func TestEveryFunctionReadsThePreviousRelease(t *testing.T) {
	for _, file := range fixtures {
		t.Run(file, func(t *testing.T) { readsFixture(t, file) })
	}
}

func readsFixture(t *testing.T, file string) {
	moto, ses := testenv.Moto(t), testenv.SESLocal(t)
	cfg := testenv.AWSConfig(t, moto) // every service at moto; SES at the SES emulator
	t.Setenv("AWS_ENDPOINT_URL_SESV2", ses)
	db := dynamodb.NewFromConfig(cfg)
	testenv.CreateTable(t, db, "leads")
	items := load(t, db, file)
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it["kind"].(*types.AttributeValueMemberS).Value]++
	}
	for _, k := range []string{"lead", "rate", "run", "session", "code", "audit", "held", "count"} {
		if kinds[k] == 0 {
			t.Errorf("%s holds no item of kind %s", file, k)
		}
	}

	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	store := ddb.New(db, "leads")
	env := map[string]string{
		"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite, "RATE_LIMIT": "5/1h", "RATE_LIMIT_SALT": "fixture-salt",
		"CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": staffEmail, "SENDER_EMAIL": "alerts@example-clinic.com",
		"TIME_ZONE": "UTC", "PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": linkSecret,
		"NUDGE_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:followup:live",
		"NUDGE_ROLE_ARN":   "arn:aws:iam::123456789012:role/nudge-scheduler",
		"OPENING_HOURS":    "always", "MAX_ATTEMPTS": "2",
	}
	getenv := func(k string) string { return env[k] }
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) lead.Lead {
		t.Helper()
		l, err := store.Get(ctx, id, time.Now()) // wall clock: the functions FromEnv builds take no clock and read the table on the real one (the fixture's items keep until 2036); read as they do
		if err != nil {
			t.Fatalf("lead %s: %v", id, err)
		}
		return l
	}
	for _, id := range allLeads {
		get(id)
	}

	t.Run("submit", func(t *testing.T) {
		h, err := submit.FromEnv(ctx, getenv, submit.ClientsFrom(awsCfg), quiet)
		if err != nil {
			t.Fatal(err)
		}
		// A retry of a request the release stored, long since booked: the
		// same request, answered as such, and left as it is.
		body := `{"submissionId":"` + closedBooked + `","name":"Margaret Hale","phone":"(202) 555-0143","consent":true,"elapsedMs":9000}`
		if res, _ := h.Handle(ctx, testenv.HTTPEvent(t, "application/json", body)); res.StatusCode/100 != 2 || !strings.Contains(res.Body, closedBooked) {
			t.Fatalf("retry of a stored request: %d %s", res.StatusCode, res.Body)
		}
		if l := get(closedBooked); l.Status != lead.StatusClosed || l.Closed != lead.ClosedBooked {
			t.Errorf("the retry changed the booked lead: %s %s", l.Status, l.Closed)
		}
		if res, _ := h.Handle(ctx, testenv.HTTPEvent(t, "application/json", `{"name":"Ada Lovelace","phone":"(202) 555-0199","consent":true,"elapsedMs":9000}`)); res.StatusCode != 201 {
			t.Fatalf("a new request beside the old items: %d %s", res.StatusCode, res.Body)
		}
	})

	t.Run("notify", func(t *testing.T) {
		h, err := notify.FromEnv(ctx, getenv, notify.ClientsFrom(awsCfg), quiet)
		if err != nil {
			t.Fatal(err)
		}
		// Every item's INSERT as the stream has it (moto applies no filter:
		// the function must pass over the other kinds itself).
		res, err := h.Handle(ctx, testenv.StreamEvent(t, moto, db, "leads"))
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("notify: %v %v", err, res.BatchItemFailures)
		}
		if l := get(newNoAlert); l.Alert == nil {
			t.Error("the lead whose alert never went out was not alerted")
		}
		if l := get(newAlerted); l.Alert == nil || l.Alert.MessageID != "ses-alert-1" {
			t.Errorf("the alerted lead was alerted again: %+v", l.Alert)
		}
	})

	t.Run("followup", func(t *testing.T) {
		h, err := followup.FromEnv(ctx, getenv, followup.ClientsFrom(awsCfg), quiet)
		if err != nil {
			t.Fatal(err)
		}
		// The fixture's day: its run marker says the digest went out.
		out, err := h.Run(ctx, followup.Event{Source: "aws.scheduler", Time: "2026-11-20T08:00:00Z"}) // its digest's hour
		if err != nil || !out.AlreadySent {
			t.Errorf("the fixture's day ran again: %+v %v", out, err)
		}
		// Today's digest run: every lead waiting, due or unreachable is in it.
		today, open := h.DigestAt(time.Now()) // wall clock: the functions under test run on it
		if !open {
			t.Fatal("test premise: OPENING_HOURS=always opens every day")
		}
		if out, err = h.Run(ctx, followup.Event{Source: "aws.scheduler", Time: today.UTC().Format(time.RFC3339)}); err != nil || out.MessageID == "" || out.Total < 6 {
			t.Fatalf("today's digest: %+v %v", out, err)
		}
		if get(closedUnreach).Unreported {
			t.Error("the unreachable lead was not marked reported")
		}
		// A response guard armed before the upgrade fires, due as the
		// release set it: the lead stored on the fixture's day at 14:00,
		// RESPONSE_SLA (its default, 15m) of opening hours ("always") later.
		due := time.Date(2026, 11, 20, 14, 15, 0, 0, time.UTC)
		if err := h.Handle(ctx, followup.Event{Nudge: &nudges.Nudge{LeadID: newNoAlert, Due: due}}); err != nil {
			t.Fatal(err)
		}
		if get(newNoAlert).Nudge == nil {
			t.Error("the old lead's nudge was not recorded")
		}
	})

	t.Run("staff", func(t *testing.T) {
		// The day after the fixture's: its sessions, started on its day,
		// are within STAFF_SESSION_MAX (7 days by default) of their start.
		at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
		clients := staff.ClientsFrom(awsCfg)
		clients.Now = func() time.Time { return at }
		h, err := staff.FromEnv(ctx, getenv, clients, quiet)
		if err != nil {
			t.Fatal(err)
		}
		call := func(cookie, method, route, path string, form url.Values) events.APIGatewayV2HTTPResponse {
			t.Helper()
			req := testenv.HTTPRequest(t, method, route, path, form.Encode())
			if cookie != "" {
				req.Cookies = []string{access.CookieName + "=" + cookie}
			}
			res, err := h.Handle(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// The session the release stored: still signed in.
		inbox := call(sessionID, http.MethodGet, "GET /staff", "/staff", nil)
		if inbox.StatusCode != 200 {
			t.Fatalf("inbox with the stored session: %d %s", inbox.StatusCode, inbox.Body)
		}
		for _, id := range allLeads {
			if res := call(sessionID, http.MethodGet, "GET /leads/{id}", "/leads/"+id, nil); res.StatusCode != 200 {
				t.Errorf("lead %s's page: %d %s", id, res.StatusCode, res.Body)
			}
		}
		if res := call(sessionID, http.MethodGet, "GET /staff/held", "/staff/held", nil); res.StatusCode != 200 || !strings.Contains(res.Body, "held/"+heldID) {
			t.Errorf("held review: %d, the held request not listed", res.StatusCode)
		}
		// A session an emailed link began opens its lead only.
		if res := call(linkSession, http.MethodGet, "GET /leads/{id}", "/leads/"+newAlerted, nil); res.StatusCode != 200 {
			t.Errorf("the link's session on its lead: %d", res.StatusCode)
		}
		if res := call(linkSession, http.MethodGet, "GET /leads/{id}", "/leads/"+openNoAnswer, nil); res.StatusCode == 200 {
			t.Error("the link's session opened another lead")
		}
		// The next try on a lead the version before the call-back loop
		// marked contacted: recorded after its one old attempt.
		page := call(sessionID, http.MethodGet, "GET /leads/{id}", "/leads/"+legacyNoAns, nil)
		m := regexp.MustCompile(`name="t" value="([^"]+)">\s*<input type="hidden" name="v" value="([0-9]+)"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no form on the old lead's page: %s", page.Body)
		}
		form := url.Values{"t": {m[1]}, "v": {m[2]}, "outcome": {"booked"}}
		if res := call(sessionID, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+legacyNoAns+"/contacted", form); res.StatusCode != 303 {
			t.Fatalf("recording a try on the old lead: %d %s", res.StatusCode, res.Body)
		}
		if l := get(legacyNoAns); l.Status != lead.StatusClosed || len(l.History) != 2 {
			t.Errorf("the old lead after a try: %s, %d attempts", l.Status, len(l.History))
		}
		// The sign-in code the release stored (one per address, tried once)
		// belongs to no browser's code cookie: it is refused like any code
		// without one, and breaks nothing.
		if res := call("", http.MethodPost, "POST /staff/signin", "/staff/signin", url.Values{"email": {staffEmail}, "code": {signInCode}}); res.StatusCode != 403 {
			t.Errorf("the stored sign-in code: %d, want 403 %s", res.StatusCode, res.Body)
		}
		// The sessions the release stored, which ran to 2036, end
		// STAFF_SESSION_MAX after they started.
		at = time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
		for _, id := range []string{sessionID, linkSession} {
			if res := call(id, http.MethodGet, "GET /leads/{id}", "/leads/"+newAlerted, nil); res.StatusCode != 303 {
				t.Errorf("a stored session 7 days after it started: %d, want 303 to sign-in", res.StatusCode)
			}
		}
	})

	t.Run("mailevents", func(t *testing.T) {
		h, err := mailevents.FromEnv(ctx, getenv, mailevents.ClientsFrom(awsCfg), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Handle(ctx, testenv.SESEvent(t, "ses-delivery.json", openReached, "alert")); err != nil {
			t.Fatal(err)
		}
		if l := get(openReached); l.Alert == nil || l.Alert.DeliveredAt.IsZero() || l.Status != lead.StatusOpen || len(l.History) != 1 {
			t.Errorf("the old lead's alert delivery: %+v, %s, %d attempts", l.Alert, l.Status, len(l.History))
		}
	})
}
