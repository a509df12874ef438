package bench

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
)

var weeklies = flag.String("weekly", "10000,100000", "leads in the weekly report's 12 weeks")

// BenchmarkWeeklyReport is the report's weekly-report rows alone:
// go test -run '^$' -bench '^BenchmarkWeeklyReport$' -benchtime 1x ./internal/dev/bench
func BenchmarkWeeklyReport(b *testing.B) {
	report(b, weeklyRows(b))
}

// weeklyRows runs the real followup bootstrap under the Runtime Interface
// Emulator on the weekly schedule's event, over n leads requested in the
// report's 12 weeks (new, open and closed, as figures.Sample leaves
// them) in the embedded DynamoDB: wall time (cold start included), the
// DynamoDB requests the server answered, and peak resident memory.
func weeklyRows(b *testing.B) []Row {
	bootstrap := build(b, "./functions/followup", runtime.GOARCH)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	const openingHours = "Mon-Fri 08:00-18:00,Sat 09:00-12:00"
	h, err := hours.Parse(openingHours, ny)
	if err != nil {
		b.Fatal(err)
	}
	// Monday morning after the 12 weeks.
	run := time.Date(2026, 11, 2, 7, 0, 0, 0, ny)
	from := time.Date(2026, 8, 10, 0, 0, 0, 0, ny)
	var rows []Row
	for _, s := range strings.Split(*weeklies, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		endpoint, db, _, served := minidyn(b)
		store := ddb.New(db, "leads")
		leads := figures.Sample(from, run.Add(-7*time.Hour), run, n, 17, h)
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := w; i < len(leads); i += 16 {
					if err := store.Save(context.Background(), leads[i], nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		leads = nil
		fn := testenv.RIE(b, bootstrap, map[string]string{
			"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
			"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ENDPOINT_URL_SESV2": slowSES(b, 0),
			"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example.com", "SENDER_EMAIL": "a@example.com",
			"REPORT_EMAIL": "owner@example.com", "OPENING_HOURS": openingHours,
			"TIME_ZONE": "America/New_York", "PUBLIC_BASE_URL": "https://api.example.com", "LINK_SECRET": strings.Repeat("s", 32),
			"AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
		})
		before := served.Load()
		start := time.Now() // wall clock: measures the bootstrap's wall time, cold start included
		event := fmt.Sprintf(`{"source":"aws.scheduler","detail-type":"Scheduled Event","time":%q,"report":"weekly","detail":{}}`, run.UTC().Format(time.RFC3339))
		if got := fn.Invoke(b, []byte(event)); string(got) != "null" {
			b.Fatalf("weekly report: %s\n%s", got, fn.Stop())
		}
		wall := float64(time.Since(start).Microseconds()) / 1000 // wall clock: the same measured duration
		calls := served.Load() - before
		peak := vmHWM(b, fn.BootstrapPID())
		logs := fn.Stop()
		if !strings.Contains(logs, "weekly report sent") {
			b.Fatalf("no weekly report sent:\n%s", logs)
		}
		rows = append(rows, scaleRows(fmt.Sprintf("weekly report: %d leads in 12 weeks", n), wall, calls, peak)...)
	}
	return rows
}
