package patient_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

var (
	keyV2 = []byte("current version's contact key...")
	keyV1 = []byte("previous version's contact key..")
	t0    = time.Date(2026, 11, 12, 16, 0, 0, 0, time.UTC)
)

func TestParseContactReadsWhatAnOwnerTypes(t *testing.T) {
	for in, want := range map[string]patient.Contact{
		"+13035550199":          {Phone: "+13035550199"},
		" +1 (303) 555-0199 ":   {Phone: "+13035550199"},
		"+1.303.555.0199":       {Phone: "+13035550199"},
		"+44 20 7946 0958":      {Phone: "+442079460958"},
		"+12345678":             {Phone: "+12345678"},        // 8 digits, the fewest taken
		"+123456789012345":      {Phone: "+123456789012345"}, // 15, E.164's most
		"Margaret@Example.com":  {Email: "margaret@example.com"},
		" margaret@example.com": {Email: "margaret@example.com"},
	} {
		got, err := patient.ParseContact(in)
		if err != nil || got != want {
			t.Errorf("ParseContact(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "(303) 555-0199", "3035550199", // no country code: refused, not guessed
		"+0 303 555 0199", "+1303", "+1234567", "+1234567890123456", "+1 303 555 0199 ext 2", "+1/303/5550199",
		"Margaret <margaret@example.com>", "margaret@", "@example.com", "Margaret Hill",
	} {
		if got, err := patient.ParseContact(in); !errors.Is(err, patient.ErrContact) {
			t.Errorf("ParseContact(%q) = %+v, %v; want ErrContact", in, got, err)
		}
	}
}

func TestKeysAreKeyedAndSeparateKinds(t *testing.T) {
	phone := patient.PhoneKey(keyV2, "+13035550199")
	if phone != patient.PhoneKey(keyV2, "+13035550199") {
		t.Fatal("the same number gave two keys")
	}
	if phone == patient.PhoneKey(keyV1, "+13035550199") {
		t.Error("two secrets gave the same key: the key does not depend on the secret")
	}
	if phone == patient.PhoneKey(keyV2, "+13035550198") {
		t.Error("two numbers gave the same key")
	}
	// The kind is inside the MAC: a phone number and an address with the
	// same text never share a key.
	if patient.PhoneKey(keyV2, "x@example.com") == patient.EmailKey(keyV2, "x@example.com") {
		t.Error("a phone key and an email key of the same text are equal")
	}
	if patient.EmailKey(keyV2, " Margaret@Example.COM") != patient.EmailKey(keyV2, "margaret@example.com") {
		t.Error("an address's case or spaces changed its key")
	}
	if len(phone) != 43 || string(phone) == "+13035550199" {
		t.Errorf("key %q: want 43 characters of URL-safe base64, never the contact", phone)
	}
	c := patient.Contact{Phone: "+13035550199", Email: "margaret@example.com"}
	if got := c.Keys(keyV2); !slices.Equal(got, []patient.Key{phone, patient.EmailKey(keyV2, "margaret@example.com")}) {
		t.Errorf("Keys = %v, want the phone's then the email's", got)
	}
	if got := (patient.Contact{}).Keys(keyV2); len(got) != 0 {
		t.Errorf("an empty contact has keys %v", got)
	}
	if got := c.KeysUnder([][]byte{keyV2, keyV1, keyV2}); len(got) != 4 {
		t.Errorf("KeysUnder two versions (one given twice) = %d keys, want 4", len(got))
	}
}

func TestSinceNeverLooksPastRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		memory, retention, back time.Duration
	}{
		{365 * day, 365 * day, 365 * day},
		{30 * day, 365 * day, 30 * day},
		{365 * day, 90 * day, 90 * day},
		{0, 90 * day, 90 * day},
		{30 * day, 0, 30 * day},
	} {
		if got := patient.Since(t0, c.memory, c.retention); !got.Equal(t0.Add(-c.back)) {
			t.Errorf("Since(memory %v, retention %v) = %v, want %v back", c.memory, c.retention, got, c.back)
		}
	}
}

// store holds l, indexed under key as notify indexes a new request.
func store(t *testing.T, st *storetest.MemStore, key []byte, l lead.Lead) lead.Lead {
	t.Helper()
	ctx := context.Background()
	if err := st.Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.IndexContacts(ctx, l, patient.Of(l).Keys(key)); err != nil {
		t.Fatal(err)
	}
	return l
}

func request(created time.Time, phone, email string) lead.Lead {
	return lead.New(uuid.NewString(), lead.Request{Name: "Margaret Hill", Phone: phone, Email: email,
		PreferredContact: lead.ByPhone, PreferredTime: lead.AnyTime}, created, 365*24*time.Hour)
}

func TestFindAndCollectGatherEveryRequestOfAContact(t *testing.T) {
	ctx := context.Background()
	st := storetest.NewMemStore()
	now := t0.Add(10 * 24 * time.Hour)
	// Indexed before a rotation (the previous version's key), by phone.
	first := store(t, st, keyV1, request(t0, "+13035550199", "margaret@example.com"))
	// After it, a different address, the same number.
	second := store(t, st, keyV2, request(t0.Add(7*24*time.Hour), "+13035550199", "mh@example.net"))
	// Another patient.
	store(t, st, keyV2, request(t0.Add(time.Hour), "+13035550100", "someone@example.com"))
	// A held request giving the number (never indexed: the bot traps held it).
	held := lead.NewHeld(uuid.NewString(), lead.Request{Name: "Margaret Hill", Phone: "+13035550199", PreferredContact: lead.ByPhone, PreferredTime: lead.AnyTime},
		lead.Trap{Honeypot: true}, t0.Add(9*24*time.Hour), 14*24*time.Hour)
	if err := st.Hold(ctx, held, "2026-11-21", nil); err != nil {
		t.Fatal(err)
	}

	keys := [][]byte{keyV2, keyV1}
	byPhone := patient.Contact{Phone: "+13035550199"}
	refs, err := patient.Find(ctx, st, byPhone.KeysUnder(keys), time.Time{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if ids := refIDs(refs); !slices.Equal(ids, []string{second.ID, first.ID}) {
		t.Errorf("Find by phone under both versions = %v, want the second then the first", ids)
	}
	// Only the current version's key: the request indexed before the
	// rotation is not found (a retired version forgets its patients).
	if refs, _ := patient.Find(ctx, st, byPhone.Keys(keyV2), time.Time{}, now); !slices.Equal(refIDs(refs), []string{second.ID}) {
		t.Errorf("Find under the current key only = %v, want the second alone", refIDs(refs))
	}
	// since bounds the look back.
	if refs, _ := patient.Find(ctx, st, byPhone.KeysUnder(keys), t0.Add(24*time.Hour), now); !slices.Equal(refIDs(refs), []string{second.ID}) {
		t.Errorf("Find since a day after the first = %v, want the second alone", refIDs(refs))
	}

	rec, err := patient.Collect(ctx, st, keys, byPhone, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.IDs(), []string{second.ID, first.ID}) || len(rec.Held) != 1 || rec.Held[0].ID != held.ID {
		t.Fatalf("Collect = requests %v, held %d; want both requests and the held one", rec.IDs(), len(rec.Held))
	}
	// By the first address: the first request only, and no held one.
	rec2, err := patient.Collect(ctx, st, keys, patient.Contact{Email: "Margaret@example.com"}, now)
	if err != nil || !slices.Equal(rec2.IDs(), []string{first.ID}) || len(rec2.Held) != 0 {
		t.Errorf("Collect by the first address = %v, held %d, %v; want the first alone", rec2.IDs(), len(rec2.Held), err)
	}

	n, err := st.Erase(ctx, rec.Erasure())
	if err != nil {
		t.Fatal(err)
	}
	// Two leads, one held request, and the index entries: the phone key
	// (under each version it was indexed with) and each lead's email key.
	if n != 2+1+4 {
		t.Errorf("Erase deleted %d items, want 7", n)
	}
	for _, id := range []string{first.ID, second.ID} {
		if _, err := st.Get(ctx, id, now); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("request %s after the erase: %v, want not found", id, err)
		}
	}
	if rec, err := patient.Collect(ctx, st, keys, patient.Contact{Email: "mh@example.net"}, now); err != nil || len(rec.Leads)+len(rec.Gone) != 0 {
		t.Errorf("the second address after the erase still finds %v %v (%v)", rec.IDs(), rec.Gone, err)
	}
}

func TestCollectRefusesAnEmptyContact(t *testing.T) {
	if _, err := patient.Collect(context.Background(), storetest.NewMemStore(), [][]byte{keyV2}, patient.Contact{}, t0); !errors.Is(err, patient.ErrContact) {
		t.Errorf("Collect of no contact: %v, want ErrContact", err)
	}
}

func TestCollectSkipsRequestsWhoseRetentionEnded(t *testing.T) {
	ctx := context.Background()
	st := storetest.NewMemStore()
	l := store(t, st, keyV2, request(t0, "+13035550199", ""))
	// The lead's retention ended an instant ago; the index entry with it.
	rec, err := patient.Collect(ctx, st, [][]byte{keyV2}, patient.Of(l), l.ExpiresAt)
	if err != nil || len(rec.Leads) != 0 {
		t.Fatalf("Collect after retention = %v, %v; want no request", rec.IDs(), err)
	}
}

func refIDs(refs []patient.Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.ID)
	}
	return out
}
