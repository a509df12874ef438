package ops_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
)

var _ ops.Store = (*storetest.MemStore)(nil)

var now = time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)

// trail fills a store with entries about two leads and sign-in events,
// one of each kind expired, unsorted as a store may hold them.
func trail(t *testing.T) *storetest.MemStore {
	t.Helper()
	st := storetest.NewMemStore()
	keep := now.Add(time.Hour)
	ny := time.FixedZone("EST", -5*3600)
	for _, e := range []access.AuditEntry{
		{At: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Actor: "ana@example-clinic.com", Action: access.Attempt, Lead: "L1", RequestID: "req-2", Expires: keep},
		{At: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Actor: access.ByLink, Action: access.View, Lead: "L1", RequestID: "req-1", Expires: keep},
		{At: time.Date(2026, 11, 3, 7, 15, 30, 0, ny), Actor: "bob@example-clinic.com", Action: access.Correct, Lead: "L1", RequestID: "", Expires: keep},
		{At: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), Actor: "ana@example-clinic.com", Action: access.View, Lead: "L2", RequestID: "req-9", Expires: keep},
		{At: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), Actor: "old@example-clinic.com", Action: access.View, Lead: "L1", RequestID: "req-0", Expires: now},
		{At: time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), Actor: "ana@example-clinic.com", Action: access.SignIn, RequestID: "req-s", Expires: keep},
		{At: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), Actor: "ana@example-clinic.com", Action: access.FailedCode, RequestID: "req-f", Expires: keep},
		{At: time.Date(2026, 11, 4, 6, 0, 0, 0, time.UTC), Actor: "desk@example-clinic.com", Action: access.SignOutAll, RequestID: access.ByOps, Expires: keep},
		{At: time.Date(2026, 11, 4, 7, 0, 0, 0, time.UTC), Actor: "owner@example-clinic.com", Action: access.ExportPII, RequestID: "req-e", Span: "2026-10-01..2026-10-31", Expires: keep},
	} {
		if err := st.Audit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestPrint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lead  string
		since time.Time
		want  []string
	}{
		{"a lead's trail, oldest first, expired left out", "L1", time.Time{}, []string{
			"TIME (UTC)            ACTOR                   ACTION   LEAD  REQUEST",
			"2026-11-01T08:00:00Z  emailed link            view     L1    req-1",
			"2026-11-02T09:00:00Z  ana@example-clinic.com  attempt  L1    req-2",
			"2026-11-03T12:15:30Z  bob@example-clinic.com  correct  L1    -",
		}},
		{"from since on", "L1", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), []string{
			"TIME (UTC)            ACTOR                   ACTION   LEAD  REQUEST",
			"2026-11-02T09:00:00Z  ana@example-clinic.com  attempt  L1    req-2",
			"2026-11-03T12:15:30Z  bob@example-clinic.com  correct  L1    -",
		}},
		{"no lead: the sign-in events", "", time.Time{}, []string{
			"TIME (UTC)            ACTOR                     ACTION        LEAD                         REQUEST",
			"2026-11-01T06:00:00Z  ana@example-clinic.com    failed-code   -                            req-f",
			"2026-11-01T07:00:00Z  ana@example-clinic.com    sign-in       -                            req-s",
			"2026-11-04T06:00:00Z  desk@example-clinic.com   sign-out-all  -                            make staff-signout",
			"2026-11-04T07:00:00Z  owner@example-clinic.com  export-pii    days 2026-10-01..2026-10-31  req-e",
		}},
		{"none", "L3", time.Time{}, []string{"No entries."}},
		{"none since", "L2", time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), []string{"No entries."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := ops.Print(context.Background(), &out, trail(t), tc.lead, tc.since, now); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			for i := range got {
				got[i] = strings.TrimRight(got[i], " ")
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("printed (-) vs want (+):\n%s\nprinted:\n%s", diff, out.String())
			}
		})
	}
}

func TestPrintShowsNoControlCharacters(t *testing.T) {
	st := storetest.NewMemStore()
	e := access.AuditEntry{At: now, Actor: "a\x1b[2Jb@example.com", Action: access.View, Lead: "L\t1", RequestID: "r\n2", Expires: now.Add(time.Hour)}
	if err := st.Audit(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ops.Print(context.Background(), &out, st, "L\t1", time.Time{}, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{"2026-11-20T15:04:05Z", "a?[2Jb@example.com", "view", "L?1", "r?2"}
	if len(lines) != 2 || !cmp.Equal(strings.Fields(lines[1]), want) {
		t.Errorf("printed %q, want a header and the row %q", out.String(), want)
	}
}

func TestPrintStoreFails(t *testing.T) {
	st := trail(t)
	st.Err = errors.New("table unreachable")
	var out bytes.Buffer
	err := ops.Print(context.Background(), &out, st, "L1", time.Time{}, now)
	if err == nil || !strings.Contains(err.Error(), "table unreachable") || !strings.Contains(err.Error(), "L1") {
		t.Errorf("error %v, want the store's, naming the lead", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q after a failure, want nothing", out.String())
	}
}

// session stores a session of email ending at expires.
func session(t *testing.T, st *storetest.MemStore, email string, expires time.Time) string {
	t.Helper()
	id, err := access.NewSessionID()
	if err != nil {
		t.Fatal(err)
	}
	hash := access.IDHash(id)
	if err := st.CreateSession(context.Background(), access.Session{Hash: hash, Email: email, Created: now.Add(-time.Hour), Expires: expires}); err != nil {
		t.Fatal(err)
	}
	return hash
}

func TestSignOut(t *testing.T) {
	for _, tc := range []struct {
		name, arg, retention string
		wantOut              string
		wantKeep             time.Duration
	}{
		{"default retention", "ana@example-clinic.com", "", "Ended 2 sessions of ana@example-clinic.com, and every session an emailed link started.\n", access.AuditRetention},
		{"address as typed", "  Ana@Example-Clinic.COM ", "30", "Ended 2 sessions of ana@example-clinic.com, and every session an emailed link started.\n", 30 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.NewMemStore()
			ana1 := session(t, st, "ana@example-clinic.com", now.Add(time.Hour))
			ana2 := session(t, st, "ana@example-clinic.com", now.Add(2*time.Hour))
			anaOld := session(t, st, "ana@example-clinic.com", now.Add(-time.Minute))
			bob := session(t, st, "bob@example-clinic.com", now.Add(time.Hour))
			link := session(t, st, "", now.Add(time.Hour))

			code, out, errOut := run(t, st, map[string]string{"AUDIT_RETENTION_DAYS": tc.retention}, "signout", "-email", tc.arg)
			if code != ops.ExitOK || out != tc.wantOut || errOut != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0, %q, nothing", code, out, errOut, tc.wantOut)
			}
			for _, h := range []string{ana1, ana2, anaOld} {
				// TouchSession finds a session even once it has expired.
				if err := st.TouchSession(context.Background(), h, now.Add(time.Hour)); !errors.Is(err, access.ErrNoSession) {
					t.Errorf("ana's session %s… is still stored (%v)", h[:8], err)
				}
			}
			if _, err := st.Session(context.Background(), bob, now); err != nil {
				t.Errorf("bob's session was ended: %v", err)
			}
			// Sessions emailed links started belong to no address: any may
			// be on ana's browsers. All end.
			if _, err := st.Session(context.Background(), link, now); !errors.Is(err, access.ErrNoSession) {
				t.Errorf("a link's session is still going (%v)", err)
			}
			want := []access.AuditEntry{
				{At: now, Actor: "ana@example-clinic.com", Action: access.SignOutAll, RequestID: access.ByOps, Expires: now.Add(tc.wantKeep)},
				{At: now, Actor: access.ByLink, Action: access.SignOutAll, RequestID: access.ByOps, Expires: now.Add(tc.wantKeep)},
			}
			if diff := cmp.Diff(st.AuditEntries(), want); diff != "" {
				t.Errorf("audit entries (-) vs want (+):\n%s", diff)
			}
		})
	}
}

func TestSignOutNoSessions(t *testing.T) {
	st := storetest.NewMemStore()
	session(t, st, "bob@example-clinic.com", now.Add(time.Hour))
	code, out, _ := run(t, st, nil, "signout", "-email", "ana@example-clinic.com")
	if code != ops.ExitOK || out != "Ended 0 sessions of ana@example-clinic.com, and every session an emailed link started.\n" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if n := len(st.AuditEntries()); n != 2 {
		t.Errorf("%d audit entries, want 2 (ops' sign-out, of the address and of the links, is recorded even when nothing was going)", n)
	}
}

func TestSignOutOneSession(t *testing.T) {
	st := storetest.NewMemStore()
	session(t, st, "ana@example-clinic.com", now.Add(time.Hour))
	if _, out, _ := run(t, st, nil, "signout", "-email", "ana@example-clinic.com"); out != "Ended 1 session of ana@example-clinic.com, and every session an emailed link started.\n" {
		t.Errorf("stdout %q", out)
	}
}

func empty(*testing.T) *storetest.MemStore { return storetest.NewMemStore() }

// fails is a store whose every call fails.
func fails(t *testing.T) *storetest.MemStore {
	st := storetest.NewMemStore()
	st.Err = errors.New("throttled")
	return st
}

func TestRun(t *testing.T) {
	opened := errors.New("no stack \"x\"")
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		store    func(*testing.T) *storetest.MemStore // nil: Open fails with opened
		wantCode int
		wantOut  string
		wantErr  []string // in stderr
		noOpen   bool     // Open must not be called
	}{
		{name: "audit", args: []string{"audit", "-lead", "L2"}, store: trail, wantCode: 0,
			wantOut: "TIME (UTC)            ACTOR                   ACTION  LEAD  REQUEST\n2026-11-01T09:00:00Z  ana@example-clinic.com  view    L2    req-9\n"},
		{name: "audit since a date", args: []string{"audit", "-lead", "L1", "-since", "2026-11-03"}, store: trail, wantCode: 0,
			wantOut: "TIME (UTC)            ACTOR                   ACTION   LEAD  REQUEST\n2026-11-03T12:15:30Z  bob@example-clinic.com  correct  L1    -\n"},
		{name: "audit since an age", args: []string{"audit", "-since", "17d"}, store: trail, wantCode: 0,
			wantOut: "TIME (UTC)            ACTOR                     ACTION        LEAD                         REQUEST\n" +
				"2026-11-04T06:00:00Z  desk@example-clinic.com   sign-out-all  -                            make staff-signout\n" +
				"2026-11-04T07:00:00Z  owner@example-clinic.com  export-pii    days 2026-10-01..2026-10-31  req-e\n"},
		{name: "audit, empty flags as make passes them", args: []string{"audit", "-lead", "", "-since", ""}, store: empty, wantCode: 0, wantOut: "No entries.\n"},
		{name: "bad since", args: []string{"audit", "-since", "last week"}, store: trail, wantCode: 2, wantErr: []string{"SINCE", "last week", "7d"}, noOpen: true},
		{name: "store fails", args: []string{"audit", "-lead", "L1"}, store: fails, wantCode: 1, wantErr: []string{"throttled"}},
		{name: "table not found", args: []string{"audit"}, wantCode: 1, wantErr: []string{`no stack "x"`}},
		{name: "signout without an address", args: []string{"signout"}, store: trail, wantCode: 2, wantErr: []string{"EMAIL="}, noOpen: true},
		{name: "signout with a blank address", args: []string{"signout", "-email", " "}, store: trail, wantCode: 2, wantErr: []string{"EMAIL="}, noOpen: true},
		{name: "signout with no address", args: []string{"signout", "-email", "ana"}, store: trail, wantCode: 2, wantErr: []string{`"ana"`}, noOpen: true},
		{name: "signout with a bad retention", args: []string{"signout", "-email", "a@b.c"}, env: map[string]string{"AUDIT_RETENTION_DAYS": "0"}, store: trail, wantCode: 2, wantErr: []string{"AUDIT_RETENTION_DAYS", `"0"`}, noOpen: true},
		{name: "signout store fails", args: []string{"signout", "-email", "a@b.c"}, store: fails, wantCode: 1, wantErr: []string{"throttled", "a@b.c"}},
		{name: "signout table not found", args: []string{"signout", "-email", "a@b.c"}, wantCode: 1, wantErr: []string{`no stack "x"`}},
		{name: "no command", args: nil, wantCode: 2, wantErr: []string{"usage", "ops audit", "ops signout"}, noOpen: true},
		{name: "unknown command", args: []string{"purge"}, wantCode: 2, wantErr: []string{`"purge"`, "usage"}, noOpen: true},
		{name: "unknown flag", args: []string{"audit", "-lead", "L1", "-email", "a@b.c"}, wantCode: 2, wantErr: []string{"-email"}, noOpen: true},
		{name: "stray argument", args: []string{"audit", "L1"}, wantCode: 2, wantErr: []string{`"L1"`}, noOpen: true},
		{name: "help", args: []string{"signout", "-h"}, wantCode: 0, wantErr: []string{"-email"}, noOpen: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			calls := 0
			code := ops.Run(context.Background(), tc.args, ops.Env{
				Getenv: func(k string) string { return tc.env[k] },
				Stdout: &out, Stderr: &errOut,
				Now: func() time.Time { return now },
				Open: func(context.Context) (ops.Store, error) {
					calls++
					if tc.store == nil {
						return nil, opened
					}
					return tc.store(t), nil
				},
			})
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.wantCode, errOut.String())
			}
			if out.String() != tc.wantOut {
				t.Errorf("stdout %q, want %q", out.String(), tc.wantOut)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr %q does not say %q", errOut.String(), w)
				}
			}
			if tc.wantErr == nil && errOut.Len() > 0 {
				t.Errorf("stderr %q, want nothing", errOut.String())
			}
			if tc.noOpen && calls > 0 {
				t.Errorf("the table was opened for a run that fails on its arguments")
			}
		})
	}
}

// run runs the tool's args on st with env.
func run(t *testing.T, st ops.Store, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = ops.Run(context.Background(), args, ops.Env{
		Getenv: func(k string) string { return env[k] },
		Stdout: &out, Stderr: &errOut,
		Now:  func() time.Time { return now },
		Open: func(context.Context) (ops.Store, error) { return st, nil },
	})
	return code, out.String(), errOut.String()
}
