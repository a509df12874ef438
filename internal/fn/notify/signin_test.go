package notify

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/link"
)

// staffList is STAFF_EMAILS in these tests, spelled as configured.
var staffList = []string{"FrontDesk@Example-Clinic.com", "owner@example-clinic.com"}

// codeItem stores the item the sign-in page's email step stores for email
// from a browser (send: a listed address's), asked for at asked, and
// returns the stream record of it as the table's stream carries it.
func (f *fixture) codeItem(t *testing.T, email string, send bool, asked time.Time, op events.DynamoDBOperationType) (access.Code, events.DynamoDBEventRecord) {
	t.Helper()
	c := access.Code{Email: email, Browser: access.IDHash("browser-" + email), Send: send, Expires: asked.Add(access.CodeTTL)}
	if err := f.store.PutCode(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	img, err := ddb.CodeImage(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, events.DynamoDBEventRecord{EventID: "ev-code", EventName: string(op), EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{NewImage: img, SequenceNumber: "900", StreamViewType: "NEW_IMAGE"}}
}

func (f *fixture) stream(t *testing.T, recs ...events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	res, err := f.h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// stored is the code item as the store holds it now.
func (f *fixture) stored(t *testing.T, c access.Code) access.Code {
	t.Helper()
	for _, s := range f.store.Codes() {
		if s.Email == c.Email && s.Browser == c.Browser {
			return s
		}
	}
	t.Fatalf("no code item for %s", c.Email)
	return access.Code{}
}

func signInFixture(t *testing.T) *fixture {
	f := newFixture(t, func(c *config.Notify) { c.StaffEmails = staffList })
	t.Cleanup(func() {
		// Neither the address nor any code reaches the logs.
		logs := f.logs.String()
		if strings.Contains(strings.ToLower(logs), "frontdesk@") || strings.Contains(logs, "example-clinic.com") {
			t.Errorf("a staff address in the logs:\n%s", logs)
		}
		for _, m := range f.out.Sent() {
			if code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Subject); code != "" && regexp.MustCompile(`(^|\D)`+code+`(\D|$)`).MatchString(logs) {
				t.Errorf("code %s in the logs:\n%s", code, logs)
			}
		}
	})
	return f
}

// A code item owed (a listed address's) becomes one email with a 6-digit
// code, to the address as STAFF_EMAILS spells it, whose digest is what the
// item now holds: the code staff will check. The code itself is stored
// nowhere.
func TestACodeOwedIsMadeStoredAndSent(t *testing.T) {
	f := signInFixture(t)
	c, rec := f.codeItem(t, "frontdesk@example-clinic.com", true, now.Add(-time.Minute), events.DynamoDBOperationTypeInsert)
	if res := f.stream(t, rec); len(res.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", res.BatchItemFailures)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d emails, want 1", len(sent))
	}
	m := sent[0]
	code := regexp.MustCompile(`^Your sign-in code: ([0-9]{6})$`).FindStringSubmatch(m.Subject)
	if code == nil || !strings.HasPrefix(m.Text, code[1]+" is your code to sign in to Relief Physical Therapy's requests.") {
		t.Fatalf("subject %q, text %q", m.Subject, m.Text)
	}
	if !slices.Equal(m.To, []string{"FrontDesk@Example-Clinic.com"}) || m.From.Address != "alerts@example-clinic.com" || m.Tags[sesmail.TagKind] != sesmail.KindSignIn {
		t.Errorf("to %v from %v tags %v", m.To, m.From, m.Tags)
	}
	got := f.stored(t, c)
	signer, _ := link.NewSigner(secret)
	if got.Send || !access.CodeMatches(signer.Key(access.PurposeCode), got, code[1]) || strings.Contains(got.Digest, code[1]) {
		t.Errorf("stored %+v: want the code's digest, no longer owed", got)
	}
	// Redelivered (the stream's at-least-once), or its item's MODIFY: no
	// second code, and the first still works.
	f.stream(t, rec)
	rec.EventName = string(events.DynamoDBOperationTypeModify)
	f.stream(t, rec)
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("a redelivered record sent again: %d emails", n)
	}
	if again := f.stored(t, c); again.Digest != got.Digest {
		t.Errorf("a redelivery changed the digest")
	}
}

// An item that owes no code (an address not on the list), one whose
// address STAFF_EMAILS no longer lists, and one asked for access.CodeTTL
// ago send nothing and fail nothing.
func TestNoCodeForItemsThatOweNone(t *testing.T) {
	f := signInFixture(t)
	_, unlisted := f.codeItem(t, "patient@example.com", false, now, events.DynamoDBOperationTypeInsert)
	_, offList := f.codeItem(t, "former@example-clinic.com", true, now, events.DynamoDBOperationTypeInsert)
	old, stale := f.codeItem(t, "owner@example-clinic.com", true, now.Add(-access.CodeTTL), events.DynamoDBOperationTypeInsert)
	lead := f.add(t, 1).Records[0]
	if res := f.stream(t, unlisted, offList, stale, lead); len(res.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", res.BatchItemFailures)
	}
	for _, m := range f.out.Sent() {
		if strings.HasPrefix(m.Subject, "Your sign-in code") {
			t.Errorf("a code sent to %v", m.To)
		}
	}
	if len(f.out.Sent()) != 1 {
		t.Errorf("sent %d emails, want the lead's alert only", len(f.out.Sent()))
	}
	if got := f.stored(t, old); !got.Send || got.Digest != "" {
		t.Errorf("the old item: %+v, want it untouched", got)
	}
}

// A send that fails fails the record, and gives the code back: the
// stream's retry sends one, and that code works.
func TestAFailedCodeEmailIsRetried(t *testing.T) {
	f := signInFixture(t)
	c, rec := f.codeItem(t, "owner@example-clinic.com", true, now, events.DynamoDBOperationTypeInsert)
	f.out.Fail = func(sesmail.Message) bool { return true }
	if res := f.stream(t, rec); len(res.BatchItemFailures) != 1 {
		t.Fatalf("failures %v, want the record's", res.BatchItemFailures)
	}
	if got := f.stored(t, c); !got.Send {
		t.Fatalf("after a failed send: %+v, want the code owed again", got)
	}
	f.out.Fail = nil
	if res := f.stream(t, rec); len(res.BatchItemFailures) != 0 {
		t.Fatalf("the retry: failures %v", res.BatchItemFailures)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d, want 1", len(sent))
	}
	signer, _ := link.NewSigner(secret)
	code := regexp.MustCompile(`[0-9]{6}`).FindString(sent[0].Subject)
	if got := f.stored(t, c); !access.CodeMatches(signer.Key(access.PurposeCode), got, code) {
		t.Errorf("the retried code does not match its item")
	}
}
