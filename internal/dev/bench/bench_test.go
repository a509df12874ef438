package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/uuid"
	"github.com/truora/minidyn/server"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/local"
	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/notify"
	"github.com/openclinic/leadhandler/internal/fn/submit"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

var (
	out       = flag.String("out", "", "also write the report as JSON to this file")
	coldRuns  = flag.Int("cold", 7, "cold starts per function (the median is reported)")
	followups = flag.String("followup", "10000,100000", "pending leads for the follow-up runs")
)

// Row is one line of the report: a measure, its floor, and the goal.
type Row struct {
	Measure string  `json:"measure"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Floor   float64 `json:"floor,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	Goal    string  `json:"goal,omitempty"`
	Note    string  `json:"note,omitempty"`
}

func ratio(v, floor float64) float64 {
	if floor == 0 {
		return 0
	}
	return v / floor
}

var functions = []struct{ id, pkg string }{
	{"SubmitFunction", "./functions/submit"},
	{"NotifyFunction", "./functions/notify"},
	{"FollowUpFunction", "./functions/followup"},
	{"StaffFunction", "./functions/staff"},
	{"MailEventsFunction", "./functions/mailevents"},
}

// goals are the issue's, as ratios to hello-world in the same run.
var goals = map[string]struct{ size, init float64 }{
	"SubmitFunction": {2.7, 3.5}, "NotifyFunction": {1.8, 1.8}, "FollowUpFunction": {1.8, 1.8},
	"StaffFunction": {1.8, 1.8}, "MailEventsFunction": {1.8, 1.8},
}

// floorGoal: each function within 10% of its own floor.
const floorGoal = 1.1

// BenchmarkReport is make bench. Run it once (-benchtime 1x).
func BenchmarkReport(b *testing.B) {
	arm := map[string]string{"hello": build(b, "./cmd/hello", "arm64")}
	floors := map[string]floor{}
	for _, f := range functions {
		arm[f.id] = build(b, f.pkg, "arm64")
		floors[f.id] = buildFloor(b, f.id, arm[f.id])
	}
	var rows []Row
	rows = append(rows, sizes(b, arm, floors)...)
	rows = append(rows, coldStarts(b, floors)...)
	rows = append(rows, submitRows(b)...)
	rows = append(rows, notifyRows(b)...)
	rows = append(rows, followupRows(b)...)
	rows = append(rows, weeklyRows(b)...)
	report(b, rows)
}

// BenchmarkColdStart is the report's size and cold-start rows alone:
// go test -run '^$' -bench '^BenchmarkColdStart$' -benchtime 1x ./internal/dev/bench
func BenchmarkColdStart(b *testing.B) {
	arm := map[string]string{"hello": build(b, "./cmd/hello", "arm64")}
	floors := map[string]floor{}
	for _, f := range functions {
		arm[f.id] = build(b, f.pkg, "arm64")
		floors[f.id] = buildFloor(b, f.id, arm[f.id])
	}
	report(b, append(sizes(b, arm, floors), coldStarts(b, floors)...))
}

// BenchmarkFollowUp is the report's follow-up rows alone:
// go test -run '^$' -bench '^BenchmarkFollowUp$' -benchtime 1x ./internal/dev/bench
func BenchmarkFollowUp(b *testing.B) {
	report(b, followupRows(b))
}

// build compiles pkg with the Lambda flags for goarch into a temp dir.
func build(b *testing.B, pkg, goarch string) string {
	b.Helper()
	dst := filepath.Join(b.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid=", "-o", dst, pkg)
	cmd.Dir = testenv.Root(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", pkg, err, o)
	}
	return dst
}

func fileMB(b *testing.B, path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size()) / 1e6
}

// sizes is each function's arm64 binary next to hello-world's and next to
// its own floor's.
func sizes(b *testing.B, arm map[string]string, floors map[string]floor) []Row {
	hello := fileMB(b, arm["hello"])
	rows := []Row{{Measure: "hello-world binary (linux/arm64)", Value: hello, Unit: "MB"}}
	for _, f := range functions {
		v, fl := fileMB(b, arm[f.id]), fileMB(b, floors[f.id].arm64)
		rows = append(rows,
			Row{Measure: f.id + " binary (linux/arm64)", Value: v, Unit: "MB", Floor: hello, Ratio: ratio(v, hello),
				Goal: fmt.Sprintf("at most %.1fx hello", goals[f.id].size)},
			Row{Measure: f.id + " binary, next to its floor", Value: v, Unit: "MB", Floor: fl, Ratio: ratio(v, fl),
				Goal: fmt.Sprintf("at most %.1fx its floor", floorGoal), Note: fmt.Sprintf("floor %.2fx hello: %s", ratio(fl, hello), floors[f.id].what())})
	}
	return rows
}

func (f floor) what() string {
	s := fmt.Sprintf("%d SDK operations", f.ops)
	if f.phone {
		s += " + libphonenumber"
	}
	return s
}

var (
	initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	invokeDone = regexp.MustCompile(`INVOKE RTDONE\(status: \w+, produced bytes: \d+, duration: ([0-9.]+)ms\)`)
)

// withSecret are the functions that read the link secret, measured again
// with LINK_SECRET_ARN (read from a Secrets Manager stand-in) instead of
// LINK_SECRET.
var withSecret = []string{"NotifyFunction", "FollowUpFunction", "StaffFunction"}

// coldStarts starts each function, its floor and hello-world (one after
// the other, round after round) under the Runtime Interface Emulator and
// reads their INIT REPORTs; those that read the link secret also start
// reading it from Secrets Manager. The emulator runs binaries of this
// machine's architecture, so these are host builds; it gives them the
// environment Lambda would (testenv.LambdaEnv).
func coldStarts(b *testing.B, floors map[string]floor) []Row {
	env := map[string]string{
		"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite, "RATE_LIMIT_SALT": "s",
		"CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example.com", "SENDER_EMAIL": "a@example.com",
		"TIME_ZONE": "America/New_York", "PUBLIC_BASE_URL": "https://api.example.com", "LINK_SECRET": strings.Repeat("s", 32),
	}
	secretEnv := maps.Clone(env)
	delete(secretEnv, "LINK_SECRET")
	secretEnv["LINK_SECRET_ARN"] = secretARN
	secretEnv["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = secretsStandIn(b)
	// Events each function answers without calling AWS.
	httpEvent := func(req events.APIGatewayV2HTTPRequest) []byte { j, _ := json.Marshal(req); return j }
	evs := map[string][]byte{
		"hello":            []byte(`{}`),
		"SubmitFunction":   httpEvent(testenv.HTTPEvent(b, "text/plain", "x")),
		"NotifyFunction":   []byte(`{"Records":[]}`),
		"FollowUpFunction": []byte(`{"time":"not a time"}`),
		"StaffFunction":    httpEvent(testenv.HTTPRequest(b, http.MethodGet, "GET /leads/{id}", "/leads/x", "")),
		// Not about an alert (no tags): dropped without a call.
		"MailEventsFunction": []byte(`{"source":"aws.ses","detail-type":"Email Delivered","detail":{"eventType":"Delivery","mail":{}}}`),
	}
	host := runtime.GOARCH
	bins := map[string]string{"hello": build(b, "./cmd/hello", host)}
	for _, f := range functions {
		bins[f.id] = build(b, f.pkg, host)
		bins["floor "+f.id] = floors[f.id].host
		evs["floor "+f.id] = []byte(`{}`)
	}
	initMs := func(name, bin string, env map[string]string) float64 {
		fn := testenv.RIE(b, bins[bin], env)
		ev := evs[bin]
		if ev == nil {
			ev = evs[name]
		}
		testenv.InvokeRaw(b, fn, ev)
		m := initReport.FindStringSubmatch(fn.Stop())
		if m == nil {
			b.Fatalf("%s: no INIT REPORT", name)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	samples := map[string][]float64{}
	for range *coldRuns {
		for _, f := range functions {
			samples["hello"] = append(samples["hello"], initMs("hello", "hello", env))
			samples[f.id] = append(samples[f.id], initMs(f.id, f.id, env))
			samples["floor "+f.id] = append(samples["floor "+f.id], initMs("floor "+f.id, "floor "+f.id, env))
			if slices.Contains(withSecret, f.id) {
				samples["secret "+f.id] = append(samples["secret "+f.id], initMs(f.id, f.id, secretEnv))
			}
		}
	}
	hello := median(samples["hello"])
	note := fmt.Sprintf("median of %d", *coldRuns)
	rows := []Row{{Measure: "hello-world cold-start init (" + host + ", RIE)", Value: hello, Unit: "ms", Note: note}}
	for _, f := range functions {
		v, fl := median(samples[f.id]), median(samples["floor "+f.id])
		rows = append(rows,
			Row{Measure: f.id + " cold-start init (" + host + ", RIE)", Value: v, Unit: "ms", Floor: hello, Ratio: ratio(v, hello),
				Goal: fmt.Sprintf("at most %.1fx hello", goals[f.id].init), Note: note},
			Row{Measure: f.id + " cold-start init, next to its floor", Value: v, Unit: "ms", Floor: fl, Ratio: ratio(v, fl),
				Goal: fmt.Sprintf("at most %.1fx its floor", floorGoal), Note: fmt.Sprintf("floor %.2fx hello", ratio(fl, hello))})
		if slices.Contains(withSecret, f.id) {
			s := median(samples["secret "+f.id])
			rows = append(rows, Row{Measure: f.id + " init reading LINK_SECRET_ARN", Value: s, Unit: "ms", Floor: v, Ratio: ratio(s, v),
				Note: fmt.Sprintf("+%.2f ms: two GetSecretValue calls, Secrets Manager stand-in on loopback (no DNS, no TLS)", s-v)})
		}
	}
	rows = append(rows, submitFirstRequest(b, bins, env)...)
	return rows
}

// submitFirstRequest is submit's cold start and first accepted lead (a
// real phone number: libphonenumber's first parse, the first DynamoDB
// call), next to its floor doing the same of what it must: format the
// number, put one item.
func submitFirstRequest(b *testing.B, bins map[string]string, env map[string]string) []Row {
	endpoint, _, _, _ := minidyn(b)
	env = maps.Clone(env)
	env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
	env["RATE_LIMIT"] = "1000000/1h"
	run := func(bin string, event func() []byte) (float64, float64) {
		fn := testenv.RIE(b, bins[bin], env)
		if status, body := testenv.InvokeRaw(b, fn, event()); status != 200 || (bin == "SubmitFunction" && !strings.Contains(string(body), `"statusCode":201`)) {
			b.Fatalf("%s: first request: %d %s\n%s", bin, status, body, fn.Stop())
		}
		logs := fn.Stop()
		i, d := initReport.FindStringSubmatch(logs), invokeDone.FindStringSubmatch(logs)
		if i == nil || d == nil {
			b.Fatalf("%s: no INIT REPORT or INVOKE RTDONE:\n%s", bin, logs)
		}
		iv, _ := strconv.ParseFloat(i[1], 64)
		dv, _ := strconv.ParseFloat(d[1], 64)
		return iv, dv
	}
	lead := func() []byte {
		j, _ := json.Marshal(testenv.HTTPEvent(b, "application/json", leadJSON()))
		return j
	}
	floorLead := func() []byte { return []byte(`{"floor":"lead","phone":"(202) 555-0143"}`) }
	var sub, fl, subFirst, flFirst []float64
	for range *coldRuns {
		i, d := run("SubmitFunction", lead)
		sub, subFirst = append(sub, i+d), append(subFirst, d)
		i, d = run("floor SubmitFunction", floorLead)
		fl, flFirst = append(fl, i+d), append(flFirst, d)
	}
	v, f := median(sub), median(fl)
	return []Row{{Measure: "SubmitFunction init + first lead (real phone number)", Value: v, Unit: "ms", Floor: f, Ratio: ratio(v, f),
		Goal: fmt.Sprintf("at most %.1fx its floor", floorGoal),
		Note: fmt.Sprintf("first request %.2f ms (floor's: parse + one PutItem, %.2f ms); embedded DynamoDB", median(subFirst), median(flFirst))}}
}

// secretARN is the link secret's ARN in the Secrets Manager stand-in.
const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:link-secret-AbCdEf"

// secretsStandIn answers GetSecretValue on loopback as Secrets Manager
// would for a secret never rotated: AWSCURRENT, and no AWSPREVIOUS.
func secretsStandIn(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SecretId, VersionStage string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "not GetSecretValue", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if in.VersionStage == "AWSPREVIOUS" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"no AWSPREVIOUS"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ARN": secretARN, "Name": "link-secret", "SecretString": strings.Repeat("k", 64),
			"VersionId": "00000000-0000-4000-8000-000000000001", "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9})
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// minidyn starts the in-process DynamoDB on a loopback port with the
// template's table (no stream). It returns its endpoint, a client that
// records its calls, and the count of requests the server answered.
func minidyn(b *testing.B) (string, *dynamodb.Client, *testenv.CallRecorder, *atomic.Int64) {
	b.Helper()
	var served atomic.Int64
	md := server.NewServer()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		md.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	endpoint := srv.URL
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	tpl, err := samtemplate.Load(filepath.Join(testenv.Root(b), "template.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	in, err := samtemplate.TableInput(tpl, samtemplate.TableLogicalID, "leads")
	if err != nil {
		b.Fatal(err)
	}
	in.Create.StreamSpecification = nil
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(context.Background(), in.Create); err != nil {
		b.Fatal(err)
	}
	rec := testenv.RecordCalls(&cfg)
	return endpoint, dynamodb.NewFromConfig(cfg), rec, &served
}

func leadJSON() string {
	return fmt.Sprintf(`{"submissionId":%q,"name":"Siobhán O'Brien","phone":"(202) 555-0143","email":"s@example.com",`+
		`"reason":"Lower back pain","consent":true,"elapsedMs":9000}`, uuid.NewString())
}

func submitConfig() config.Submit {
	return config.Submit{
		Table: "leads", AllowedOrigins: []string{testenv.ClinicSite}, RateLimit: ratelimit.Limit{Count: 1 << 30, Window: time.Hour},
		RateLimitSalt: []byte("s"), Retention: 365 * 24 * time.Hour, PhoneRegion: "US", ConsentVersion: "1", MinFillTime: 2 * time.Second,
	}
}

func submitRows(b *testing.B) []Row {
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()

	// In process, on the in-memory store: the handler's own cost.
	h, err := submit.New(submitConfig(), storetest.NewMemStore(), nil, quiet, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]events.APIGatewayV2HTTPRequest, 20000)
	for i := range reqs {
		reqs[i] = testenv.HTTPEvent(b, "application/json", leadJSON())
	}
	// testing.Benchmark cannot run inside a benchmark: count by hand.
	for _, r := range reqs[:1000] { // warm up
		h.Handle(ctx, r)
	}
	h, _ = submit.New(submitConfig(), storetest.NewMemStore(), nil, quiet, time.Now)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now() // wall clock: times the in-process submit handler
	for _, r := range reqs {
		h.Handle(ctx, r)
	}
	took := time.Since(start) // wall clock: the same measured duration
	runtime.ReadMemStats(&after)
	perOp := func(v uint64) uint64 { return v / uint64(len(reqs)) }
	nsPerOp := float64(took.Nanoseconds()) / float64(len(reqs))

	// DynamoDB calls per accepted lead, counted by the SDK middleware.
	_, db, rec, _ := minidyn(b)
	h, err = submit.New(submitConfig(), ddb.New(db, "leads"), nil, quiet, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	callsBefore := rec.Calls()
	const leads = 200
	for range leads {
		if r, _ := h.Handle(ctx, testenv.HTTPEvent(b, "application/json", leadJSON())); r.StatusCode != 201 {
			b.Fatalf("submit: %d %s", r.StatusCode, r.Body)
		}
	}
	calls := float64(rec.Calls()-callsBefore) / leads

	// Latency through the local server (minidyn, stream to notify, outbox).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	srv, err := local.New(ctx, local.Options{BaseURL: base, Dir: b.TempDir(), Template: filepath.Join(testenv.Root(b), "template.yaml"),
		Getenv: func(k string) string {
			return map[string]string{"RATE_LIMIT": "1000000/1h", "SES_MAX_SEND_RATE": "0"}[k]
		}, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	defer func() { hs.Close(); srv.Close() }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	var lat []float64
	for range 1000 {
		start := time.Now() // wall clock: measures one request's latency through the local server
		r, err := client.Post(base+"/leads", "application/json", strings.NewReader(leadJSON()))
		if err != nil {
			b.Fatal(err)
		}
		r.Body.Close()
		lat = append(lat, float64(time.Since(start).Microseconds())/1000) // wall clock: the same measured latency
		if r.StatusCode != 201 {
			b.Fatalf("local server: %d", r.StatusCode)
		}
	}
	slices.Sort(lat)
	return []Row{
		{Measure: "submit in process (in-memory store)", Value: nsPerOp / 1000, Unit: "µs/op",
			Note: fmt.Sprintf("%d allocs/op, %d B/op, %d requests", perOp(after.Mallocs-before.Mallocs), perOp(after.TotalAlloc-before.TotalAlloc), len(reqs))},
		{Measure: "submit DynamoDB calls per accepted lead", Value: calls, Unit: "calls", Goal: "at most 2, one round trip",
			Note: strings.Join(rec.Actions(), " + ") + " in one TransactWriteItems"},
		{Measure: "submit p50 through the local server", Value: lat[len(lat)/2], Unit: "ms", Note: "1,000 sequential requests, embedded DynamoDB"},
		{Measure: "submit p99 through the local server", Value: lat[len(lat)*99/100], Unit: "ms"},
	}
}

// slowSES answers SendEmail after delay, counting what it took at once.
func slowSES(b *testing.B, delay time.Duration) string {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"MessageId":"bench-%d"}`, n.Add(1))
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

func notifyRows(b *testing.B) []Row {
	ctx := context.Background()
	_, db, _, _ := minidyn(b)
	store := ddb.New(db, "leads")
	ses := slowSES(b, 50*time.Millisecond)
	sender := sesmail.New(sesv2.New(sesv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(ses),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}}))
	signer, _ := link.NewSigner([]byte(strings.Repeat("s", 32)))
	eastern, _ := time.LoadLocation("America/New_York")
	cfg := config.Notify{Mail: config.Mail{Table: "leads", ClinicName: "Relief", ClinicEmails: []string{"fd@example.com"},
		SenderEmail: "a@example.com", TimeZone: eastern, PublicBaseURL: "https://api.example.com", LinkTTL: time.Hour}}
	// The leads are made, and the handler reads them, on one fixed clock
	// (the embedded DynamoDB has no TTL): only the durations are measured.
	at := time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	clock := func() time.Time { return at }

	// batch stores n new leads and returns their stream records.
	batch := func(n int) events.DynamoDBEvent {
		var e events.DynamoDBEvent
		for range n {
			l := lead.New(uuid.NewString(), lead.Request{Name: "Pat Smith", Email: "p@example.com", PreferredContact: lead.ByEmail,
				PreferredTime: lead.AnyTime, ConsentVersion: "1"}, at, time.Hour)
			if err := store.Save(ctx, l, nil); err != nil {
				b.Fatal(err)
			}
			got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("leads"),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "lead#" + l.ID}}})
			if err != nil {
				b.Fatal(err)
			}
			img, err := ddb.ToStream(got.Item)
			if err != nil {
				b.Fatal(err)
			}
			e.Records = append(e.Records, events.DynamoDBEventRecord{EventName: "INSERT",
				Change: events.DynamoDBStreamRecord{NewImage: img, SequenceNumber: uuid.NewString()}})
		}
		return e
	}
	run := func(concurrency, n int) float64 {
		c := cfg
		c.Concurrency = concurrency
		h := notify.New(c, store, sender, signer, slog.New(slog.DiscardHandler), clock)
		e := batch(n)
		start := time.Now() // wall clock: times the notify handler over the batch
		res, err := h.Handle(ctx, e)
		if err != nil || len(res.BatchItemFailures) != 0 {
			b.Fatalf("notify: %v %v", err, res.BatchItemFailures)
		}
		return float64(time.Since(start).Microseconds()) / 1000 // wall clock: the same measured duration
	}
	run(1, 3) // warm the connections
	single := run(1, 1)
	def := run(10, 100)
	wide := run(100, 100)
	floor := 100 * single
	return []Row{
		{Measure: "notify: one record (SES answers in 50 ms)", Value: single, Unit: "ms"},
		{Measure: "notify: 100 records, NOTIFY_CONCURRENCY=10 (default)", Value: def, Unit: "ms", Floor: floor, Ratio: ratio(def, single),
			Note: "floor = sequential 100 sends; ratio = to one send"},
		{Measure: "notify: 100 records, NOTIFY_CONCURRENCY=100", Value: wide, Unit: "ms", Floor: floor, Ratio: ratio(wide, single), Goal: "about 2x one send"},
	}
}

// followupRows runs the real followup bootstrap under the Runtime
// Interface Emulator over n pending leads in the embedded DynamoDB: its wall
// time (cold start included), the DynamoDB requests the server answered,
// and the bootstrap's peak resident memory (VmHWM).
func followupRows(b *testing.B) []Row {
	bootstrap := build(b, "./functions/followup", runtime.GOARCH)
	var rows []Row
	for _, s := range strings.Split(*followups, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		endpoint, db, _, served := minidyn(b)
		seed(b, ddb.New(db, "leads"), n)
		fn := testenv.RIE(b, bootstrap, map[string]string{
			"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
			"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ENDPOINT_URL_SESV2": slowSES(b, 0),
			"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example.com", "SENDER_EMAIL": "a@example.com",
			"TIME_ZONE": "America/New_York", "PUBLIC_BASE_URL": "https://api.example.com", "LINK_SECRET": strings.Repeat("s", 32),
			"OPENING_HOURS": "always", "AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
		})
		// The hourly schedule's run that sends the digest: today's, at 8:00
		// (FOLLOW_UP_HOUR) in the clinic's zone, when the leads have waited
		// a day and more.
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			b.Fatal(err)
		}
		y, m, d := time.Now().In(ny).Date() // wall clock: the leads were stored on it
		event := fmt.Sprintf(`{"source":"aws.scheduler","detail-type":"Scheduled Event","time":%q,"detail":{}}`,
			time.Date(y, m, d, 8, 0, 0, 0, ny).UTC().Format(time.RFC3339))
		before := served.Load()
		start := time.Now() // wall clock: measures the bootstrap's wall time, cold start included
		if got := fn.Invoke(b, []byte(event)); string(got) != "null" {
			b.Fatalf("follow-up: %s\n%s", got, fn.Stop())
		}
		wall := float64(time.Since(start).Microseconds()) / 1000 // wall clock: the same measured duration
		calls := served.Load() - before
		peak := vmHWM(b, fn.BootstrapPID())
		logs := fn.Stop()
		if !strings.Contains(logs, fmt.Sprintf(`"total":%d`, n)) {
			b.Fatalf("the digest did not count %d leads:\n%s", n, logs)
		}
		rows = append(rows, scaleRows(fmt.Sprintf("followup: %d pending", n), wall, calls, peak)...)
	}
	return rows
}

// scaleRows are a scheduled run's figures at one size, next to the goal
// the follow-up and the weekly report share (100,000 within 30 s, 128 MB).
func scaleRows(label string, wall float64, calls int64, peak float64) []Row {
	return []Row{
		{Measure: label + ", wall time", Value: wall, Unit: "ms", Goal: "100,000 within 30 s", Note: "real bootstrap under RIE, cold start included"},
		{Measure: label + ", DynamoDB requests", Value: float64(calls), Unit: "calls", Note: "GSI query pages + run marker; never a Scan"},
		{Measure: label + ", peak memory (VmHWM)", Value: peak, Unit: "MB", Goal: "100,000 within 128 MB"},
	}
}

// vmHWM is a process's peak resident memory, in MB.
func vmHWM(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read the bootstrap's memory: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

// seed stores n leads waiting two days or more, 16 writers at once.
func seed(b *testing.B, s *ddb.Store, n int) {
	b.Helper()
	var wg sync.WaitGroup
	// The followup bootstrap finds them pending two days as of its own time.
	created := time.Now().Add(-48 * time.Hour) // wall clock: the bootstrap under the RIE runs on the real clock
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				l := lead.New(fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), lead.Request{
					Name: "Pat Smith", Phone: "+12025550143", Email: "pat@example.com", PreferredContact: lead.ByPhone,
					PreferredTime: lead.AnyTime, Reason: "Lower back pain for three weeks", ConsentVersion: "1",
				}, created.Add(-time.Duration(i)*time.Second), 30*24*time.Hour)
				if err := s.Save(context.Background(), l, nil); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func report(b *testing.B, rows []Row) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-58s %12s %10s %7s  %-26s %s\n", "measure", "value", "floor", "ratio", "goal", "note")
	for _, r := range rows {
		floor, rat := "", ""
		if r.Floor != 0 {
			floor = strconv.FormatFloat(r.Floor, 'f', 2, 64)
		}
		if r.Ratio != 0 {
			rat = strconv.FormatFloat(r.Ratio, 'f', 2, 64) + "x"
		}
		fmt.Fprintf(&sb, "%-58s %9.2f %-2s %10s %7s  %-26s %s\n", r.Measure, r.Value, r.Unit, floor, rat, r.Goal, r.Note)
	}
	m := machine()
	fmt.Fprintf(&sb, "\nmachine: %s\n", m)
	fmt.Print(sb.String())
	if *out != "" {
		j, _ := json.MarshalIndent(map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "machine": m, "rows": rows}, "", "  ") // wall clock: the report is dated with the day its figures were measured
		if err := os.WriteFile(*out, append(j, '\n'), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
