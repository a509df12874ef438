package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/outbox"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/followup"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// scene stores n leads in moto, a day older than the fixture clock now, and
// returns their stream batch.
func scene(t *testing.T, n int) (*ddb.Store, *dynamodb.Client, string, events.DynamoDBEvent, []string) {
	t.Helper()
	moto := testenv.Moto(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, moto))
	testenv.CreateTable(t, db, "leads")
	store := ddb.New(db, "leads")
	var ids []string
	for i := range n {
		l := lead.New(fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), lead.Request{
			Name: fmt.Sprintf("Patient%d Smith", i), Email: fmt.Sprintf("p%d@example.com", i),
			PreferredContact: lead.ByEmail, PreferredTime: lead.AnyTime, ConsentVersion: "1",
		}, now.Add(-25*time.Hour), 30*24*time.Hour)
		if err := store.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	return store, db, moto, testenv.StreamEvent(t, moto, db, "leads"), ids
}

func sesClient(t *testing.T, endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""), RetryMaxAttempts: 2},
		func(o *sesv2.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func failedIDs(t *testing.T, res events.DynamoDBEventResponse, batch events.DynamoDBEvent, store *ddb.Store) map[string]bool {
	t.Helper()
	failed := map[string]bool{}
	for _, f := range res.BatchItemFailures {
		for _, r := range batch.Records {
			if r.Change.SequenceNumber == f.ItemIdentifier {
				l, err := ddb.LeadFromStream(r.Change.NewImage)
				if err != nil {
					t.Fatal(err)
				}
				failed[l.ID] = true
			}
		}
	}
	return failed
}

// TestSESThrottled: every send is throttled. The leads stay stored and
// un-alerted, every record is reported for a retry, and the follow-up lists
// them as never alerted.
func TestSESThrottled(t *testing.T) {
	store, _, _, batch, ids := scene(t, 3)
	ses := testenv.SESLocal(t)
	proxy := testenv.NewProxy(t, ses, func(r *http.Request) *testenv.Fault {
		if strings.HasSuffix(r.URL.Path, "/outbound-emails") {
			return testenv.SESThrottling
		}
		return nil
	})
	signer, _ := link.NewSigner(secret)
	h := New(testConfig(), store, sesmail.New(sesClient(t, proxy.URL)), signer, slog.New(slog.DiscardHandler), func() time.Time { return now })
	res, err := h.Handle(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if failed := failedIDs(t, res, batch, store); len(failed) != 3 {
		t.Fatalf("%d records failed, want all 3", len(failed))
	}
	for _, id := range ids {
		if l, err := store.Get(context.Background(), id, now); err != nil || l.Alert != nil {
			t.Errorf("lead %s: %v, alert %+v", id, err, l.Alert)
		}
	}

	out := &outbox.Outbox{}
	// FOLLOW_UP_HOUR 9: the run at now (9:21 in New York) is the digest's.
	cfg := config.FollowUp{Mail: testConfig().Mail, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour, Hour: 9}
	if err := followup.New(cfg, store, sesmail.New(out), signer, slog.New(slog.DiscardHandler), func() time.Time { return now }).Handle(context.Background(), followup.Event{}); err != nil {
		t.Fatal(err)
	}
	if sent := out.Sent(); len(sent) != 1 || strings.Count(sent[0].Text, "Alert: never went out") != 3 {
		t.Errorf("digest:\n%v", sent)
	}
}

// killer stops the SES emulator after a number of sends, as a crash would.
type killer struct {
	sesmail.Sender
	mu    sync.Mutex
	after int
	stop  func()
}

func (k *killer) Send(ctx context.Context, m sesmail.Message) (string, error) {
	id, err := k.Sender.Send(ctx, m)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		if k.after--; k.after == 0 {
			k.stop()
		}
	}
	return id, err
}

// TestSESKilledMidBatch: the emulator dies after two sends. Exactly the
// records whose alert did not go out are reported, and none is marked
// alerted; redelivered to a fresh emulator, each lead gets one alert.
func TestSESKilledMidBatch(t *testing.T) {
	store, _, _, batch, ids := scene(t, 8)
	ses, stop := testenv.SESLocalServer(t)
	signer, _ := link.NewSigner(secret)
	k := &killer{Sender: *sesmail.New(sesClient(t, ses)), after: 2, stop: stop}
	res, err := New(testConfig(), store, k, signer, slog.New(slog.DiscardHandler), func() time.Time { return now }).Handle(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	failed := failedIDs(t, res, batch, store)
	if len(failed) == 0 || len(failed) == len(ids) {
		t.Fatalf("%d of %d failed; the kill should split the batch", len(failed), len(ids))
	}
	for _, id := range ids {
		l, err := store.Get(context.Background(), id, now)
		if err != nil {
			t.Fatal(err)
		}
		if failed[id] == (l.Alert != nil) {
			t.Errorf("lead %s: reported failed %v, alert recorded %v", id, failed[id], l.Alert != nil)
		}
	}

	// Lambda redelivers the whole batch; a new emulator is up.
	fresh := testenv.SESLocal(t)
	res, err = New(testConfig(), store, sesmail.New(sesClient(t, fresh)), signer, slog.New(slog.DiscardHandler), func() time.Time { return now }).Handle(context.Background(), batch)
	if err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: %v %v", err, res.BatchItemFailures)
	}
	if got := len(testenv.SentEmails(t, fresh)); got != len(failed) {
		t.Errorf("%d alerts on redelivery, want one per failed lead (%d)", got, len(failed))
	}
	for _, id := range ids {
		if l, _ := store.Get(context.Background(), id, now); l.Alert == nil {
			t.Errorf("lead %s never alerted", id)
		}
	}
}
