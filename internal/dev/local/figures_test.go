package local

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestFiguresOnTheEmbeddedTable: make report LOCAL=1 and make export
// LOCAL=1 read the leads make dev keeps in its embedded DynamoDB, through
// the file it writes in its folder, with its time zone; the file goes when
// make dev stops.
func TestFiguresOnTheEmbeddedTable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, dir := "http://"+l.Addr().String(), t.TempDir()
	env := map[string]string{"OPENING_HOURS": "always"}
	srv, err := New(context.Background(), Options{
		BaseURL: base, Dir: dir, Template: filepath.Join(testenv.Root(t), "template.yaml"),
		Getenv: func(k string) string { return env[k] }, AWS: aws.Config{}, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	defer hs.Close()
	// The leads fall between these two readings (on two days across midnight).
	submitted := time.Now() // wall clock: the local server stamps the leads with the real clock
	submitLead(t, base, "Ines Figures")
	submitLead(t, base, "Omar Figures")
	stored := time.Now() // wall clock: the second reading, as above

	st, rec, err := ops.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec.TimeZone != "America/New_York" || rec.Table != "leads" {
		t.Errorf("recorded %+v, want make dev's table and time zone", rec)
	}
	zone := mustZone(t, rec.TimeZone)
	from, to := submitted.In(zone).Format(time.DateOnly), stored.In(zone).Format(time.DateOnly)
	run := func(args ...string) string {
		t.Helper()
		var out, errOut strings.Builder
		code := ops.Run(context.Background(), args, ops.Env{
			Getenv: func(k string) string {
				return map[string]string{"TIME_ZONE": rec.TimeZone, "OPENING_HOURS": rec.OpeningHours}[k]
			},
			Stdout: &out, Stderr: &errOut, Now: time.Now,
			Open: func(context.Context) (ops.Store, error) { return ops.Pending(st), nil },
		})
		if code != 0 {
			t.Fatalf("ops %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	if report := run("report", "-from", from, "-to", to); !strings.Contains(report, "2 requests, 0 booked") {
		t.Errorf("the report of the leads' day on make dev's table:\n%s", report)
	}
	// make report LOCAL=1 as cmd/ops runs it (ops.Local), with no FROM or
	// TO, right after the requests: today is in the span.
	local := func(args ...string) string {
		t.Helper()
		var out, errOut strings.Builder
		env, err := ops.Local(ops.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut, Now: time.Now}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if code := ops.Run(context.Background(), args, env); code != 0 {
			t.Fatalf("ops %v LOCAL=1: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	if report := local("report"); strings.Contains(report, "No requests") || !strings.Contains(report, "2 requests, 0 booked") {
		t.Errorf("make report LOCAL=1 right after two requests today:\n%s", report)
	}
	export := run("export", "-from", from, "-to", to)
	if n := strings.Count(export, "\n"); n != 3 || strings.Contains(export, "Figures") {
		t.Errorf("the export: %d lines (want a header and 2 requests), or names without PII=1:\n%s", n, export)
	}
	if pii := run("export", "-from", from, "-to", to, "-pii"); !strings.Contains(pii, "Ines Figures") {
		t.Errorf("the export with PII=1 has no names:\n%s", pii)
	}

	// Moving make dev's clock moves the figures' (make report reads it).
	advance(t, base, 48*time.Hour)
	if moved, err := ops.ReadLocal(dir); err != nil || moved.ClockOffset < 48*time.Hour || moved.ClockOffset > 48*time.Hour+time.Minute {
		t.Errorf("after moving the clock 48h, make report reads an offset of %v (%v)", moved.ClockOffset, err)
	}
	// The default span ends on make dev's day, two days on: the requests
	// are still in it.
	ahead := time.Now().Add(48 * time.Hour).In(zone).Format("Mon 2 Jan 2006") // wall clock: make dev's clock is the wall clock moved 48h
	if report := local("report"); !strings.Contains(report, " to "+ahead+" (") || !strings.Contains(report, "2 requests, 0 booked") {
		t.Errorf("make report LOCAL=1 after moving the clock 48h: want the week to %s with the 2 requests:\n%.300s", ahead, report)
	}

	srv.Close()
	if _, err := os.Stat(filepath.Join(dir, ops.LocalFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind after make dev stopped: %v", ops.LocalFile, err)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
