package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/access"
)

// runSessions checks sessions: made once, ended at their time or when
// deleted, sliding on use, never brought back once ended; a link's
// session keeps each lead's own end; link sessions end all at once.
func runSessions(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	newHash := func() string { return access.IDHash(uuid.NewString()) }
	const staff, other = "frontdesk@example-clinic.com", "owner@example-clinic.com"

	t.Run("a session is made once and ends at its time", func(t *testing.T) {
		s := open(t)
		want := access.Session{Hash: newHash(), Email: staff, Created: t0.Add(1500 * time.Microsecond), Expires: t0.Add(12 * time.Hour)}
		if err := s.CreateSession(ctx, want); err != nil {
			t.Fatal(err)
		}
		again := want
		again.Email = other
		if err := s.CreateSession(ctx, again); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("a second session with the same hash: got %v, want access.ErrNoSession", err)
		}
		got, err := s.Session(ctx, want.Hash, t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("session (-got +want):\n%s", diff)
		}
		if _, err := s.Session(ctx, want.Hash, want.Expires); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("at its end: got %v, want access.ErrNoSession", err)
		}
		if _, err := s.Session(ctx, newHash(), t0); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("unknown session: got %v, want access.ErrNoSession", err)
		}
	})

	t.Run("a link's session keeps each lead's own end, slides, and once ended stays ended", func(t *testing.T) {
		s := open(t)
		// A session emailed links started: two leads, each until its link's
		// end, and the held requests.
		sess := access.Session{Hash: newHash(), Created: t0, Expires: t0.Add(3 * time.Hour), Scopes: map[string]time.Time{
			"lead-a": t0.Add(time.Hour), "lead-b": t0.Add(3 * time.Hour), access.HeldScope: t0.Add(2 * time.Hour)}}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, sess.Hash, t0.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		at := t0.Add(90 * time.Minute)
		got, err := s.Session(ctx, sess.Hash, at)
		if err != nil {
			t.Fatal(err)
		}
		want := sess
		want.Expires = t0.Add(4 * time.Hour)
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("touched session (-got +want):\n%s", diff)
		}
		if got.May("lead-a", at) || !got.May("lead-b", at) || !got.May(access.HeldScope, at) || got.May("lead-c", at) || got.SignedIn() {
			t.Errorf("at 90 minutes the session may open a %v (its link ended), b %v, held %v, c %v; signed in %v",
				got.May("lead-a", at), got.May("lead-b", at), got.May(access.HeldScope, at), got.May("lead-c", at), got.SignedIn())
		}

		if err := s.EndSession(ctx, sess.Hash); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, sess.Hash, t0.Add(5*time.Hour)); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("touching an ended session: got %v, want access.ErrNoSession", err)
		}
		if _, err := s.Session(ctx, sess.Hash, t0); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("an ended session after a touch: got %v, want access.ErrNoSession", err)
		}
		if err := s.EndSession(ctx, sess.Hash); err != nil {
			t.Errorf("ending it again: %v", err)
		}
	})

	t.Run("ending link sessions ends those started before, and no signed-in one", func(t *testing.T) {
		s := open(t)
		scopes := map[string]time.Time{"lead-a": t0.Add(12 * time.Hour)}
		early := access.Session{Hash: newHash(), Scopes: scopes, Created: t0, Expires: t0.Add(12 * time.Hour)}
		staffs := access.Session{Hash: newHash(), Email: staff, Created: t0, Expires: t0.Add(12 * time.Hour)}
		late := access.Session{Hash: newHash(), Scopes: scopes, Created: t0.Add(2 * time.Hour), Expires: t0.Add(12 * time.Hour)}
		for _, sess := range []access.Session{early, staffs, late} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.EndLinkSessions(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// An earlier time afterwards (another machine's clock) moves nothing back.
		if err := s.EndLinkSessions(ctx, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, early.Hash, t0.Add(3*time.Hour)); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("a link session started before: got %v, want access.ErrNoSession", err)
		}
		for _, sess := range []access.Session{staffs, late} {
			if _, err := s.Session(ctx, sess.Hash, t0.Add(3*time.Hour)); err != nil {
				t.Errorf("session of %q started %v: %v, want it going", sess.Email, sess.Created, err)
			}
		}
		if err := s.EndLinkSessions(ctx, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, late.Hash, t0.Add(3*time.Hour)); !errors.Is(err, access.ErrNoSession) {
			t.Errorf("a link session started before the second end: got %v, want access.ErrNoSession", err)
		}
	})

	t.Run("signing out everywhere ends only that staff member's sessions", func(t *testing.T) {
		s := open(t)
		var mine []string
		for i, expires := range []time.Time{t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(12 * time.Hour)} {
			sess := access.Session{Hash: newHash(), Email: staff, Created: t0.Add(time.Duration(i-13) * time.Hour), Expires: expires}
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
			mine = append(mine, sess.Hash)
		}
		theirs := access.Session{Hash: newHash(), Email: other, Created: t0, Expires: t0.Add(12 * time.Hour)}
		link := access.Session{Hash: newHash(), Scopes: map[string]time.Time{"lead-a": t0.Add(time.Hour)}, Created: t0, Expires: t0.Add(time.Hour)}
		for _, sess := range []access.Session{theirs, link} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.EndSessions(ctx, staff, t0)
		if err != nil || n != 2 {
			t.Errorf("EndSessions = %d, %v; want the 2 still going", n, err)
		}
		for _, h := range mine {
			if _, err := s.Session(ctx, h, t0.Add(-2*time.Hour)); !errors.Is(err, access.ErrNoSession) {
				t.Errorf("a session of %s after signing out everywhere: %v", staff, err)
			}
		}
		for _, h := range []string{theirs.Hash, link.Hash} {
			if _, err := s.Session(ctx, h, t0); err != nil {
				t.Errorf("another session ended too: %v", err)
			}
		}
		if n, err := s.EndSessions(ctx, staff, t0); err != nil || n != 0 {
			t.Errorf("EndSessions again = %d, %v; want 0", n, err)
		}
	})
}

// runCodes checks sign-in codes: one per address and browser, each try
// counted, locked after access.MaxTries, used once; other browsers' codes
// for the same address untouched by any of it.
func runCodes(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	const staff = "frontdesk@example-clinic.com"
	mine, theirs := access.IDHash("browser-mine"), access.IDHash("browser-theirs")
	code := func(browser, digest string) access.Code {
		return access.Code{Email: staff, Browser: browser, Digest: digest, Expires: t0.Add(access.CodeTTL)}
	}

	t.Run("a code's tries are counted, and it locks after the last", func(t *testing.T) {
		s := open(t)
		c := code(mine, "digest-1")
		if err := s.PutCode(ctx, c); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= access.MaxTries; i++ {
			got, err := s.TryCode(ctx, c.Email, c.Browser, t0.Add(time.Duration(i)*time.Second))
			want := c
			want.Tries = i
			if err != nil || !cmp.Equal(got, want) {
				t.Fatalf("try %d: %+v, %v; want %+v", i, got, err, want)
			}
		}
		if _, err := s.TryCode(ctx, c.Email, c.Browser, t0.Add(time.Minute)); !errors.Is(err, access.ErrLocked) {
			t.Errorf("try %d: got %v, want access.ErrLocked", access.MaxTries+1, err)
		}
		if _, err := s.TryCode(ctx, c.Email, c.Browser, c.Expires); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("a locked code once expired: got %v, want access.ErrNoCode", err)
		}
		// A new code for the browser starts afresh.
		fresh := code(mine, "digest-2")
		if err := s.PutCode(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TryCode(ctx, c.Email, c.Browser, t0.Add(time.Minute)); err != nil || got.Tries != 1 || got.Digest != fresh.Digest {
			t.Errorf("a new code's first try: %+v, %v", got, err)
		}
	})

	t.Run("missing and expired codes are no codes", func(t *testing.T) {
		s := open(t)
		if _, err := s.TryCode(ctx, "nobody@example-clinic.com", mine, t0); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("no code sent: got %v, want access.ErrNoCode", err)
		}
		c := code(mine, "digest-1")
		if err := s.PutCode(ctx, c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TryCode(ctx, c.Email, c.Browser, c.Expires); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("at its expiry: got %v, want access.ErrNoCode", err)
		}
		if _, err := s.TryCode(ctx, c.Email, c.Browser, c.Expires.Add(-time.Second)); err != nil {
			t.Errorf("a second before: %v", err)
		}
	})

	t.Run("a code works once, and only while it is its browser's", func(t *testing.T) {
		s := open(t)
		first := code(mine, "digest-1")
		if err := s.PutCode(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := code(mine, "digest-2") // asked for again: replaces the first
		if err := s.PutCode(ctx, second); err != nil {
			t.Fatal(err)
		}
		if err := s.UseCode(ctx, first); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("the replaced code: got %v, want access.ErrNoCode", err)
		}
		tried, err := s.TryCode(ctx, staff, mine, t0)
		if err != nil || tried.Digest != second.Digest || tried.Tries != 1 || tried.Browser != mine {
			t.Fatalf("try: %+v, %v; want the second code, once tried", tried, err)
		}
		if err := s.UseCode(ctx, tried); err != nil {
			t.Fatal(err)
		}
		if err := s.UseCode(ctx, tried); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("used twice: got %v, want access.ErrNoCode", err)
		}
		if _, err := s.TryCode(ctx, staff, mine, t0); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("try after use: got %v, want access.ErrNoCode", err)
		}
	})

	t.Run("each browser's code for an address is its own", func(t *testing.T) {
		s := open(t)
		a, b := code(mine, "digest-mine"), code(theirs, "digest-theirs")
		for _, c := range []access.Code{a, b} {
			if err := s.PutCode(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		// Another browser locks its own code, and asks for another: mine is
		// untouched.
		for range access.MaxTries {
			if _, err := s.TryCode(ctx, staff, theirs, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.TryCode(ctx, staff, theirs, t0); !errors.Is(err, access.ErrLocked) {
			t.Errorf("their code after %d tries: %v, want access.ErrLocked", access.MaxTries, err)
		}
		if err := s.PutCode(ctx, code(theirs, "digest-theirs-2")); err != nil {
			t.Fatal(err)
		}
		if err := s.UseCode(ctx, code(theirs, a.Digest)); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("my code's digest used from their browser: got %v, want access.ErrNoCode", err)
		}
		got, err := s.TryCode(ctx, staff, mine, t0)
		if err != nil || got.Digest != a.Digest || got.Tries != 1 {
			t.Fatalf("my code after theirs was locked and replaced: %+v, %v; want it, tried once", got, err)
		}
		if err := s.UseCode(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TryCode(ctx, staff, theirs, t0); err != nil || got.Digest != "digest-theirs-2" {
			t.Errorf("their code after mine was used: %+v, %v", got, err)
		}
	})

	t.Run("a code owed is claimed once, by its own item only", func(t *testing.T) {
		s := open(t)
		owed := access.Code{Email: staff, Browser: mine, Send: true, Expires: t0.Add(access.CodeTTL)}
		unlisted := access.Code{Email: "patient@example.com", Browser: mine, Expires: t0.Add(access.CodeTTL)}
		for _, c := range []access.Code{owed, unlisted} {
			if err := s.PutCode(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.TryCode(ctx, staff, mine, t0); err != nil || !got.Send || got.Digest != "" {
			t.Fatalf("a code owed, as stored: %+v, %v; want send, no digest", got, err)
		}
		if err := s.ClaimCode(ctx, unlisted, "digest-x"); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("claiming a code not owed: got %v, want access.ErrNoCode", err)
		}
		stale := owed
		stale.Expires = owed.Expires.Add(-time.Minute) // an earlier ask's record
		if err := s.ClaimCode(ctx, stale, "digest-stale"); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("claiming with an earlier ask's record: got %v, want access.ErrNoCode", err)
		}
		if err := s.ClaimCode(ctx, owed, "digest-1"); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimCode(ctx, owed, "digest-2"); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("claimed twice (a redelivered record): got %v, want access.ErrNoCode", err)
		}
		got, err := s.TryCode(ctx, staff, mine, t0)
		if err != nil || got.Send || got.Digest != "digest-1" || got.Tries != 2 {
			t.Fatalf("the claimed code: %+v, %v; want the first digest, no send, its tries kept", got, err)
		}
		// A failed send gives the code back, owed again, once.
		if err := s.ReleaseCode(ctx, code(mine, "digest-other")); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("releasing another digest: got %v, want access.ErrNoCode", err)
		}
		owed.Digest = "digest-1"
		if err := s.ReleaseCode(ctx, owed); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseCode(ctx, owed); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("released twice: got %v, want access.ErrNoCode", err)
		}
		if got, err := s.TryCode(ctx, staff, mine, t0); err != nil || !got.Send {
			t.Errorf("the released code: %+v, %v; want owed again", got, err)
		}
		if err := s.ClaimCode(ctx, owed, "digest-3"); err != nil {
			t.Errorf("claiming the released code: %v", err)
		}
		if got, err := s.TryCode(ctx, staff, mine, t0); err != nil || got.Send || got.Digest != "digest-3" {
			t.Errorf("claimed again: %+v, %v; want the new digest", got, err)
		}
		if got, err := s.TryCode(ctx, "patient@example.com", mine, t0); err != nil || got.Send || got.Digest != "" {
			t.Errorf("the unlisted address's code: %+v, %v; want neither owed nor sent", got, err)
		}
	})

	t.Run("a code stored without a browser (1.0.x) is no browser's", func(t *testing.T) {
		s := open(t)
		old := access.Code{Email: staff, Digest: "digest-old", Expires: t0.Add(access.CodeTTL)}
		if err := s.PutCode(ctx, old); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TryCode(ctx, staff, mine, t0); !errors.Is(err, access.ErrNoCode) {
			t.Errorf("a browser's try of the address's old code: got %v, want access.ErrNoCode", err)
		}
		if err := s.PutCode(ctx, code(mine, "digest-new")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TryCode(ctx, staff, mine, t0); err != nil || got.Digest != "digest-new" {
			t.Errorf("a new code beside the old one: %+v, %v", got, err)
		}
	})
}

// runAudit checks the audit trail: appended to only, read per lead (or for
// no lead) from a time on, either way round, within its retention.
func runAudit(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("the audit trail: append-only, per lead, in order, within retention", func(t *testing.T) {
		s := open(t)
		const staff = "frontdesk@example-clinic.com"
		keep := t0.AddDate(6, 0, 0)
		entry := func(at time.Duration, a access.Action, leadID string) access.AuditEntry {
			return access.AuditEntry{At: t0.Add(at), Actor: staff, Action: a, Lead: leadID, RequestID: "req-" + uuid.NewString()[:8], Expires: keep}
		}
		signIn := entry(0, access.SignIn, "")
		viewA := entry(time.Minute+1500*time.Microsecond, access.View, "lead-a")
		// Two entries of one instant: read in the order of their actions.
		attemptA := entry(2*time.Minute, access.Attempt, "lead-a")
		viewA2 := entry(2*time.Minute, access.View, "lead-a")
		viewB := entry(3*time.Minute, access.View, "lead-b")
		signOut := entry(4*time.Minute, access.SignOut, "")
		shortLived := entry(5*time.Minute, access.View, "lead-a")
		shortLived.Expires = t0.Add(time.Hour)
		// An owner's export: no lead, its span kept.
		export := entry(4*time.Minute+30*time.Second, access.ExportPII, "")
		export.Span = "2026-11-01..2026-11-30"
		for _, e := range []access.AuditEntry{viewA2, signIn, viewA, attemptA, viewB, signOut, shortLived, export} {
			if err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		later := t0.Add(2 * time.Hour) // shortLived's retention has ended
		cases := []struct {
			name   string
			lead   string
			since  time.Time
			newest bool
			now    time.Time
			want   []access.AuditEntry
		}{
			{"lead a", "lead-a", time.Time{}, false, later, []access.AuditEntry{viewA, attemptA, viewA2}},
			{"lead a, newest first", "lead-a", time.Time{}, true, later, []access.AuditEntry{viewA2, attemptA, viewA}},
			{"lead a, within retention", "lead-a", time.Time{}, false, t0, []access.AuditEntry{viewA, attemptA, viewA2, shortLived}},
			{"lead a since 2 minutes", "lead-a", t0.Add(2 * time.Minute), false, later, []access.AuditEntry{attemptA, viewA2}},
			{"lead a since 2 minutes, newest first", "lead-a", t0.Add(2 * time.Minute), true, t0, []access.AuditEntry{shortLived, viewA2, attemptA}},
			{"lead b", "lead-b", time.Time{}, false, later, []access.AuditEntry{viewB}},
			{"no lead", "", time.Time{}, false, later, []access.AuditEntry{signIn, signOut, export}},
			{"no lead, newest first since a minute", "", t0.Add(time.Minute), true, later, []access.AuditEntry{export, signOut}},
			{"an unknown lead", "lead-c", time.Time{}, false, later, nil},
			{"all past their retention", "lead-a", time.Time{}, false, keep, nil},
		}
		for _, tc := range cases {
			var got []access.AuditEntry
			for e, err := range s.AuditTrail(ctx, tc.lead, tc.since, tc.newest, tc.now) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, e)
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("%s (-got +want):\n%s", tc.name, diff)
			}
		}
		// The same entry twice is two entries: nothing is written over.
		if err := s.Audit(ctx, viewB); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range s.AuditTrail(ctx, "lead-b", time.Time{}, false, later) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 2 {
			t.Errorf("lead b's trail after the same entry again: %d entries, want 2", n)
		}
	})
}
