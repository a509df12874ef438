package storetest

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// PatientStore is the store's side of a returning patient (notify's
// patient.Index) and of the right of access and erasure (patient.Store).
type PatientStore interface {
	IndexContacts(ctx context.Context, l lead.Lead, keys []patient.Key) error
	ContactRequests(ctx context.Context, k patient.Key, since, now time.Time) iter.Seq2[patient.Ref, error]
	LinkEarlier(ctx context.Context, id string, earlier []string) error
	Erase(ctx context.Context, e patient.Erasure) (int, error)
}

// Dumper is a store under test that can show everything it holds: every
// item's values as text (a Scan, in the DynamoDB store's tests only), so
// the contract can check that an erased patient is mentioned nowhere. The
// contract fails on a store without it.
type Dumper interface {
	Dump(t testing.TB) []string
}

// patientKey is the contract's key for contacts (link.Signer.Key's part),
// and oldKey a retired version's.
var patientKey, oldKey = []byte("the contract's contact key"), []byte("a retired version's key")

// Patient returns a lead from the patient named name, with phone (E.164)
// shown as display and email, created at created.
func Patient(created time.Time, name, phone, display, email string) lead.Lead {
	l := Lead(created)
	l.Name, l.Phone, l.PhoneDisplay, l.Email = name, phone, display, email
	return l
}

func runPatients(t *testing.T, open func(t *testing.T) Store, progress func(*testing.T, Store, string, func(*lead.Lead) error, time.Time) lead.Lead, policy lead.Policy) {
	ctx := context.Background()
	day := 24 * time.Hour
	attempt := func(o lead.Outcome, at time.Time) lead.Event {
		return lead.Event{At: at, Outcome: o, Channel: lead.ChannelCall, By: lead.ByLink}
	}
	// save stores l and indexes it under its contacts' keys under key.
	save := func(t *testing.T, s Store, l lead.Lead, key []byte) {
		t.Helper()
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexContacts(ctx, l, patient.Of(l).Keys(key)); err != nil {
			t.Fatal(err)
		}
	}
	refs := func(t *testing.T, s Store, k patient.Key, since, now time.Time) []patient.Ref {
		t.Helper()
		var out []patient.Ref
		for r, err := range s.ContactRequests(ctx, k, since, now) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	// Margaret sends the form twice, with the same phone and two emails.
	first := Patient(t0.Add(-10*day), "Margaret Hale", "+13035550199", "(303) 555-0199", "margaret@example.com")
	second := Patient(t0.Add(-day), "Margaret Hale", "+13035550199", "(303) 555-0199", "m.hale@example.org")
	other := Patient(t0.Add(-5*day), "Kim Ode", "+12025550143", "(202) 555-0143", "kim@example.net")
	phone := patient.PhoneKey(patientKey, first.Phone)

	t.Run("a patient's requests are found by a contact's key, newest first, since bounds them", func(t *testing.T) {
		s := open(t)
		for _, l := range []lead.Lead{first, other, second} {
			save(t, s, l, patientKey)
		}
		both := []patient.Ref{{ID: second.ID, CreatedAt: second.CreatedAt}, {ID: first.ID, CreatedAt: first.CreatedAt}}
		if diff := cmp.Diff(refs(t, s, phone, time.Time{}, t0), both); diff != "" {
			t.Errorf("by phone (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(refs(t, s, phone, first.CreatedAt, t0), both); diff != "" {
			t.Errorf("since the first's own time (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(refs(t, s, phone, first.CreatedAt.Add(time.Microsecond), t0), both[:1]); diff != "" {
			t.Errorf("since just after the first (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(refs(t, s, patient.EmailKey(patientKey, "Margaret@Example.com"), time.Time{}, t0), both[1:]); diff != "" {
			t.Errorf("by the first's email (-got +want):\n%s", diff)
		}
		// Past the first's retention its entry is skipped, the second's not.
		if diff := cmp.Diff(refs(t, s, phone, time.Time{}, first.ExpiresAt), both[:1]); diff != "" {
			t.Errorf("after the first expired (-got +want):\n%s", diff)
		}
		if got := refs(t, s, patient.PhoneKey(oldKey, first.Phone), time.Time{}, t0); len(got) != 0 {
			t.Errorf("another key's requests: %v", got)
		}
		got, err := s.Get(ctx, first.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		want := patient.Of(first).Keys(patientKey)
		if diff := cmp.Diff(got.ContactKeys, sorted(want)); diff != "" {
			t.Errorf("the lead's contactKeys (-got +want):\n%s", diff)
		}
	})

	t.Run("indexing again changes nothing; a staff change read before indexing is refused", func(t *testing.T) {
		s := open(t)
		if err := s.Save(ctx, first, nil); err != nil {
			t.Fatal(err)
		}
		read, err := s.Get(ctx, first.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		keys := patient.Of(first).Keys(patientKey)
		for range 2 {
			if err := s.IndexContacts(ctx, first, keys); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range keys {
			if got := refs(t, s, k, time.Time{}, t0); len(got) != 1 || got[0].ID != first.ID {
				t.Errorf("entries under %s: %v, want the one request", k, got)
			}
		}
		got, err := s.Get(ctx, first.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || !cmp.Equal(got.ContactKeys, sorted(keys)) {
			t.Errorf("indexed twice: version %d, contactKeys %v; want 1 and %v", got.Version, got.ContactKeys, sorted(keys))
		}
		if err := read.Record(attempt(lead.NoAnswer, t0), policy); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Progress(ctx, read, t0); !errors.Is(err, lead.ErrChanged) {
			t.Errorf("a change read before indexing: %v, want lead.ErrChanged", err)
		}
		// One key indexed, then both: the new one is, once.
		if err := s.Save(ctx, second, nil); err != nil {
			t.Fatal(err)
		}
		more := patient.Of(second).Keys(patientKey)
		for _, ks := range [][]patient.Key{more[:1], more, more} {
			if err := s.IndexContacts(ctx, second, ks); err != nil {
				t.Fatal(err)
			}
		}
		if got := refs(t, s, more[1], time.Time{}, t0); len(got) != 1 || got[0].ID != second.ID {
			t.Errorf("a key indexed after another: %v, want the one request", got)
		}
		if got, err := s.Get(ctx, second.ID, t0); err != nil || got.Version != 2 || !cmp.Equal(got.ContactKeys, sorted(more)) {
			t.Errorf("indexed one key then both: %v, version %d, contactKeys %v; want 2 and %v", err, got.Version, got.ContactKeys, sorted(more))
		}
		unknown := Lead(t0)
		if err := s.IndexContacts(ctx, unknown, keys); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("indexing an unknown lead: %v, want lead.ErrNotFound", err)
		}
		if got := refs(t, s, keys[0], time.Time{}, t0); slices.ContainsFunc(got, func(r patient.Ref) bool { return r.ID == unknown.ID }) {
			t.Errorf("indexing an unknown lead added entries: %v", got)
		}
	})

	t.Run("linking earlier requests moves each lead's version on, and staff changes keep the links", func(t *testing.T) {
		s := open(t)
		third := Patient(t0, first.Name, first.Phone, first.PhoneDisplay, first.Email)
		for _, l := range []lead.Lead{first, second, third} {
			save(t, s, l, patientKey)
		}
		readFirst, err := s.Get(ctx, first.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		readThird, err := s.Get(ctx, third.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		gone := uuid.NewString()
		earlier := []string{second.ID, first.ID, gone}
		if err := s.LinkEarlier(ctx, third.ID, earlier); err != nil {
			t.Fatalf("a gone earlier request is skipped: %v", err)
		}
		for _, read := range []lead.Lead{readFirst, readThird} {
			if err := read.Record(attempt(lead.NoAnswer, t0), policy); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Progress(ctx, read, t0); !errors.Is(err, lead.ErrChanged) {
				t.Errorf("lead %s changed from a page read before the link: %v, want lead.ErrChanged", read.ID, err)
			}
		}
		if _, err := s.Get(ctx, gone, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("linking created the gone lead: %v", err)
		}
		for _, id := range []string{first.ID, second.ID, third.ID} {
			progress(t, s, id, func(l *lead.Lead) error { return l.Record(attempt(lead.NoAnswer, t0), policy) }, t0)
		}
		want := map[string]struct {
			earlier []string
			newer   string
			keys    []string
		}{
			first.ID:  {nil, third.ID, sorted(patient.Of(first).Keys(patientKey))},
			second.ID: {nil, third.ID, sorted(patient.Of(second).Keys(patientKey))},
			third.ID:  {earlier, "", sorted(patient.Of(third).Keys(patientKey))},
		}
		for id, w := range want {
			got, err := s.Get(ctx, id, t0)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(got.Earlier, w.earlier) || got.Newer != w.newer || !cmp.Equal(got.ContactKeys, w.keys) || len(got.History) != 1 {
				t.Errorf("lead %s after a staff change: earlier %v, newer %q, contactKeys %v, %d attempts; want %v, %q, %v, 1",
					id, got.Earlier, got.Newer, got.ContactKeys, len(got.History), w.earlier, w.newer, w.keys)
			}
		}
		if err := s.LinkEarlier(ctx, gone, []string{first.ID}); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("linking a gone lead: %v, want lead.ErrNotFound", err)
		}
		if got, _ := s.Get(ctx, first.ID, t0); got.Newer != third.ID {
			t.Errorf("a refused link changed the earlier lead: newer %q", got.Newer)
		}
	})

	t.Run("an erase deletes every request, held copy and index entry of a patient, counts them, and leaves nothing mentioning them", func(t *testing.T) {
		s := open(t)
		dumper, ok := s.(Dumper)
		if !ok {
			t.Fatalf("the store under test (%T) cannot show what it holds (Dumper)", s)
		}
		save(t, s, first, patientKey)
		// The first was indexed under a link-secret version since retired
		// too: no lookup finds those entries, the lead's contactKeys do.
		if err := s.IndexContacts(ctx, first, patient.Of(first).Keys(oldKey)); err != nil {
			t.Fatal(err)
		}
		save(t, s, second, patientKey)
		save(t, s, other, patientKey)
		if err := s.LinkEarlier(ctx, second.ID, []string{first.ID}); err != nil {
			t.Fatal(err)
		}
		held := Held(t0.Add(-time.Hour))
		held.Name, held.Phone, held.PhoneDisplay, held.Email = first.Name, first.Phone, first.PhoneDisplay, "hale@example.com"
		if err := s.Hold(ctx, held, "2026-03-08", nil); err != nil {
			t.Fatal(err)
		}
		// What mentions Margaret: her name, contacts and every key of them.
		mentions := []string{first.Name, first.Phone, first.PhoneDisplay, "555-0199", "5550199", first.Email, second.Email, held.Email}
		for _, c := range []patient.Contact{patient.Of(first), patient.Of(second), patient.Of(held.Lead)} {
			for _, k := range c.KeysUnder([][]byte{patientKey, oldKey}) {
				mentions = append(mentions, string(k))
			}
		}
		found := func() []string {
			var out []string
			for _, v := range dumper.Dump(t) {
				for _, m := range mentions {
					if strings.Contains(v, m) {
						out = append(out, m)
					}
				}
			}
			return out
		}
		if len(found()) == 0 {
			t.Fatal("before the erase the dump mentions nothing of the patient: Dump shows nothing")
		}

		rec, err := patient.Collect(ctx, s, [][]byte{patientKey}, patient.Contact{Phone: first.Phone}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rec.IDs(), []string{second.ID, first.ID}); diff != "" {
			t.Errorf("the patient's requests (-got +want):\n%s", diff)
		}
		if len(rec.Held) != 1 || rec.Held[0].ID != held.ID {
			t.Errorf("the patient's held requests: %v, want %s", rec.Held, held.ID)
		}
		n, err := s.Erase(ctx, rec.Erasure())
		if err != nil {
			t.Fatal(err)
		}
		// Two entries under the phone's key; the first's email and its two
		// retired keys' entries, and the lead; the second's email entry and
		// the lead; the held request.
		if n != 9 {
			t.Errorf("erased %d items, want 9", n)
		}
		for _, id := range []string{first.ID, second.ID} {
			if _, err := s.Get(ctx, id, t0); !errors.Is(err, lead.ErrNotFound) {
				t.Errorf("request %s after the erase: %v, want lead.ErrNotFound", id, err)
			}
		}
		if _, err := s.GetHeld(ctx, held.ID, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("held request after the erase: %v, want lead.ErrNotFound", err)
		}
		for _, m := range slices.Compact(slices.Sorted(slices.Values(found()))) {
			t.Errorf("after the erase an item still holds %q", m)
		}
		if got, err := s.Get(ctx, other.ID, t0); err != nil || got.Name != other.Name {
			t.Errorf("another patient's request after the erase: %v", err)
		}
		if got := refs(t, s, patient.PhoneKey(patientKey, other.Phone), time.Time{}, t0); len(got) != 1 || got[0].ID != other.ID {
			t.Errorf("another patient's entries after the erase: %v", got)
		}
		if n, err := s.Erase(ctx, rec.Erasure()); n != 0 || err != nil {
			t.Errorf("erasing again: %d items, %v; want 0 and no error", n, err)
		}
	})
}

func sorted(keys []patient.Key) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}
