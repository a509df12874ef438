package submit

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// faultyHandler is the submit handler on moto's DynamoDB behind a proxy
// that fails what fault says; it returns a direct client to look at the
// table. Its clock is the fixture's (now).
func faultyHandler(t *testing.T, fault func(*http.Request) *testenv.Fault) (*Handler, *dynamodb.Client, *testenv.Proxy, *bytes.Buffer) {
	t.Helper()
	moto := testenv.Moto(t)
	cfg := testenv.AWSConfig(t, moto)
	direct := dynamodb.NewFromConfig(cfg)
	testenv.CreateTable(t, direct, "leads")
	proxy := testenv.NewProxy(t, moto, fault)
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(proxy.URL)
		o.RetryMaxAttempts = 3
	})
	var logs bytes.Buffer
	h, err := New(config.Submit{
		Table: "leads", AllowedOrigins: []string{testenv.ClinicSite},
		RateLimit: ratelimit.Limit{Count: 5, Window: time.Hour}, RateLimitSalt: []byte("s"),
		Retention: 24 * time.Hour, PhoneRegion: "US", ConsentVersion: "1", MinFillTime: 2 * time.Second,
	}, ddb.New(db, "leads"), nil, slog.New(slog.NewJSONHandler(&logs, nil)), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return h, direct, proxy, &logs
}

func items(t *testing.T, db *dynamodb.Client) int {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("leads")})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}

func check503(t *testing.T, h *Handler) {
	t.Helper()
	res, _ := h.Handle(context.Background(), testenv.HTTPEvent(t, "application/json", jsonBody(t, nil)))
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", res.StatusCode, res.Body)
	}
	if n, err := strconv.Atoi(res.Headers["Retry-After"]); err != nil || n < 1 {
		t.Errorf("Retry-After %q", res.Headers["Retry-After"])
	}
	for _, leak := range []string{"Throttling", "dial", "DynamoDB", "127.0.0.1"} {
		if strings.Contains(res.Body, leak) {
			t.Errorf("the body leaks %q: %s", leak, res.Body)
		}
	}
}

func TestDynamoDBUnreachable(t *testing.T) {
	f := newFixture(t, nil)
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 2,
	})
	h, err := New(testConfig(), ddb.New(db, "leads"), nil, f.h.log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	check503(t, h)
}

// TestDynamoDBThrottlingWritesNothingHalfway: with every write throttled,
// the visitor gets 503 and the table holds neither the lead nor a charge.
func TestDynamoDBThrottlingWritesNothingHalfway(t *testing.T) {
	h, direct, proxy, _ := faultyHandler(t, func(r *http.Request) *testenv.Fault {
		return testenv.DynamoDBThrottling
	})
	check503(t, h)
	if n := items(t, direct); n != 0 {
		t.Errorf("%d items in the table after a failed submit, want 0", n)
	}
	if got := proxy.Faulted.Load(); got != 3 {
		t.Errorf("%d attempts, want the SDK's 3", got)
	}
}

// TestDynamoDBThrottledOnceIsRetried: a throttled first attempt is retried
// by the SDK; the lead is stored once and charged once.
func TestDynamoDBThrottledOnceIsRetried(t *testing.T) {
	first := true
	h, direct, _, _ := faultyHandler(t, func(r *http.Request) *testenv.Fault {
		if first && testenv.DynamoDBOperation(r) == "TransactWriteItems" {
			first = false
			return testenv.DynamoDBThrottling
		}
		return nil
	})
	res, _ := h.Handle(context.Background(), testenv.HTTPEvent(t, "application/json", jsonBody(t, nil)))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	out, err := direct.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("leads")})
	if err != nil {
		t.Fatal(err)
	}
	var leads, hits int
	for _, it := range out.Items {
		if k, ok := it["kind"].(*types.AttributeValueMemberS); ok && k.Value == "lead" {
			leads++
		}
		if h, ok := it["hits"].(*types.AttributeValueMemberN); ok {
			hits, _ = strconv.Atoi(h.Value)
		}
	}
	if leads != 1 || hits != 1 {
		t.Errorf("%d leads, counter at %d; want 1 and 1", leads, hits)
	}
}
