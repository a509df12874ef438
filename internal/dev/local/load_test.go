package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
)

// client posts from its own loopback address, as a visitor's network would.
func client(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}}
}

func postLead(c *http.Client, base, body string) (int, string, error) {
	res, err := c.Post(base+"/leads", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	var out struct{ ID string }
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.ID, nil
}

// leadCount counts the lead items in the local server's table.
func leadCount(t *testing.T, srv *Server) int {
	t.Helper()
	n := 0
	pages := dynamodb.NewScanPaginator(srv.db, &dynamodb.ScanInput{TableName: aws.String(srv.table)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if k, ok := it["kind"].(*types.AttributeValueMemberS); ok && k.Value == "lead" {
				n++
			}
		}
	}
	return n
}

// TestLoad: 2,016 requests from 32 concurrent clients through the local
// server, a tenth of them sent twice with the same submission id. Every lead
// is stored once and alerted once, and nothing gets a 5xx. Bounded: it
// stops at 90 seconds.
func TestLoad(t *testing.T) {
	// 2,016 alerts at SES's default 14 a second would take two and a half
	// minutes: no send rate here, and no alert budget (ALERT_LIMIT).
	srv, base := serve(t, map[string]string{"RATE_LIMIT": "0", "SES_MAX_SEND_RATE": "0", "ALERT_LIMIT": "0"})
	const clients, each = 32, 63
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		problems []string
		wg       sync.WaitGroup
	)
	start := time.Now() // wall clock: measures how long the load takes
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := client("127.0.0.1")
			for i := range each {
				if ctx.Err() != nil {
					return
				}
				id := uuid.NewString()
				body := fmt.Sprintf(`{"submissionId":%q,"name":"C%dN%d Load","phone":"(202) 555-01%02d","consent":true,"elapsedMs":5000}`, id, c, i, i%100)
				sends := 1
				if i%10 == 0 {
					sends = 2 // a double click or a retry
				}
				for s := range sends {
					status, got, err := postLead(hc, base, body)
					mu.Lock()
					statuses[status]++
					switch {
					case err != nil:
						problems = append(problems, err.Error())
					case status >= 500:
						problems = append(problems, fmt.Sprintf("%s: %d", id, status))
					case got != id:
						problems = append(problems, fmt.Sprintf("%s answered as %q", id, got))
					case s == 0 && status != http.StatusCreated, s == 1 && status != http.StatusOK:
						problems = append(problems, fmt.Sprintf("%s send %d: %d", id, s+1, status))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start) // wall clock: the same measured duration
	srv.stream.wait()
	if ctx.Err() != nil {
		t.Fatalf("the load did not finish in 90 s (statuses %v)", statuses)
	}
	for _, p := range problems[:min(len(problems), 10)] {
		t.Error(p)
	}
	want := clients * each
	t.Logf("%d requests (%v) in %v", want+clients*((each+9)/10), statuses, took.Round(time.Millisecond))
	if n := leadCount(t, srv); n != want {
		t.Errorf("%d leads stored, want %d", n, want)
	}
	alerts := map[string]int{} // by lead: "C3N7" is no plain name, so no subject tells the leads apart
	for _, m := range srv.Outbox.Sent() {
		alerts[m.Tags["lead"]]++
	}
	if len(alerts) != want {
		t.Errorf("%d leads alerted, want %d", len(alerts), want)
	}
	for id, n := range alerts {
		if n != 1 {
			t.Errorf("lead %s alerted %d times", id, n)
		}
	}
}

// TestRateLimitUnderLoad: one client over its limit gets 429 with
// Retry-After, while the others are served.
func TestRateLimitUnderLoad(t *testing.T) {
	_, base := serve(t, map[string]string{"RATE_LIMIT": "5/1h"})
	body := func() string {
		return fmt.Sprintf(`{"submissionId":%q,"name":"Pat Smith","email":"pat@example.com","consent":true}`, uuid.NewString())
	}
	var wg sync.WaitGroup
	results := map[string][]int{}
	var mu sync.Mutex
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc, n := client(ip), 2
			if i == 0 {
				n = 12 // the flooder
			}
			for range n {
				status, _, err := postLead(hc, base, body())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				results[ip] = append(results[ip], status)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	count := func(statuses []int, want int) int {
		n := 0
		for _, s := range statuses {
			if s == want {
				n++
			}
		}
		return n
	}
	if got := results["127.0.0.2"]; count(got, 201) != 5 || count(got, 429) != 7 {
		t.Errorf("the flooder got %v, want 5 created and 7 refused", got)
	}
	for _, ip := range []string{"127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"} {
		if got := results[ip]; count(got, 201) != 2 {
			t.Errorf("%s got %v, want 2 created", ip, got)
		}
	}
	res, err := client("127.0.0.2").Post(base+"/leads", "application/json", strings.NewReader(body()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}
