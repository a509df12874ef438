package ops_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// backlog is a table as the upgrade finds it: Margaret's request indexed
// by notify since the upgrade, and, stored before it (never indexed), her
// earlier request by phone, another patient's by email only, a request
// giving neither, and one whose retention has ended.
type backlog struct {
	st                            *storetest.MemStore
	indexed, earlier, other, bare lead.Lead
}

func newBacklog(t *testing.T) backlog {
	t.Helper()
	ctx := context.Background()
	year := 365 * 24 * time.Hour
	margaret := lead.Request{Name: "Margaret Kowalski", Phone: "+13035550199", PreferredContact: lead.ByPhone, Reason: "Sore hip"}
	b := backlog{
		st:      storetest.NewMemStore(),
		earlier: lead.New("11111111-0000-4000-8000-000000000001", margaret, now.Add(-40*24*time.Hour), year),
		indexed: lead.New("22222222-0000-4000-8000-000000000002", margaret, now.Add(-time.Hour), year),
		other:   lead.New("33333333-0000-4000-8000-000000000003", lead.Request{Name: "Tom Reyes", Email: "Tom@Example.com", PreferredContact: lead.ByEmail}, now.Add(-3*24*time.Hour), year),
		bare:    lead.New("44444444-0000-4000-8000-000000000004", lead.Request{Name: "Walk-in"}, now.Add(-2*24*time.Hour), year),
	}
	ended := lead.New("55555555-0000-4000-8000-000000000005", margaret, now.Add(-400*24*time.Hour), year)
	for _, l := range []lead.Lead{b.earlier, b.indexed, b.other, b.bare, ended} {
		if err := b.st.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.st.IndexContacts(ctx, b.indexed, patient.Of(b.indexed).Keys(patientSigner.Key(patient.Purpose))); err != nil {
		t.Fatal(err)
	}
	return b
}

// requestsOf are the ids of the requests make patient-export finds by c.
func requestsOf(t *testing.T, st patient.Store, c patient.Contact) []string {
	t.Helper()
	rec, err := patient.Collect(context.Background(), st, patientSigner.Keys(patient.Purpose), c, now)
	if err != nil {
		t.Fatal(err)
	}
	return rec.IDs()
}

func TestIndexPatients(t *testing.T) {
	b := newBacklog(t)
	phone, email := patient.Contact{Phone: "+13035550199"}, patient.Contact{Email: "tom@example.com"}
	if got := requestsOf(t, b.st, phone); !slices.Equal(got, []string{b.indexed.ID}) {
		t.Fatalf("before: Margaret's number finds %v, want only the request indexed since the upgrade", got)
	}

	code, out, errOut := runPatient(t, b.st, nil, nil, "index-patients")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "Indexed 2 requests; 1 was already indexed; 1 has no phone or email.\n"; out != want {
		t.Errorf("printed %q, want %q", out, want)
	}
	if got, want := requestsOf(t, b.st, phone), []string{b.indexed.ID, b.earlier.ID}; !slices.Equal(got, want) {
		t.Errorf("Margaret's number finds %v, want %v (newest first)", got, want)
	}
	if got := requestsOf(t, b.st, email); !slices.Equal(got, []string{b.other.ID}) {
		t.Errorf("Tom's address, in other capitals than he gave, finds %v, want %v", got, []string{b.other.ID})
	}
	// Nothing is linked: recognition starts with the patient's next request.
	for _, id := range []string{b.indexed.ID, b.earlier.ID} {
		l, err := b.st.Get(context.Background(), id, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Earlier) != 0 || l.Newer != "" {
			t.Errorf("request %s was linked: earlier %v, newer %q", id, l.Earlier, l.Newer)
		}
	}
	for _, pii := range append(theirPII, "Tom", "tom@") {
		if strings.Contains(out+errOut, pii) {
			t.Errorf("the output names %q", pii)
		}
	}

	// Once more: nothing left to index.
	code, out, errOut = runPatient(t, b.st, nil, nil, "index-patients")
	if want := "Indexed 0 requests; 3 were already indexed; 1 has no phone or email.\n"; code != 0 || out != want {
		t.Errorf("the second run: exit %d, %q (%s), want %q", code, out, errOut, want)
	}
	if got, want := requestsOf(t, b.st, phone), []string{b.indexed.ID, b.earlier.ID}; !slices.Equal(got, want) {
		t.Errorf("after the second run, Margaret's number finds %v, want %v", got, want)
	}
}

// A new request indexed after the backfill is recognised: its patient's
// earlier request is found under the same key.
func TestIndexPatientsThenRecognition(t *testing.T) {
	b := newBacklog(t)
	if code, _, errOut := runPatient(t, b.st, nil, nil, "index-patients"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	next := lead.New("66666666-0000-4000-8000-000000000006", lead.Request{Name: "Tom Reyes", Email: "tom@example.com"}, now, 365*24*time.Hour)
	keys := patient.Of(next).KeysUnder(patientSigner.Keys(patient.Purpose))
	refs, err := patient.Find(context.Background(), b.st, keys, patient.Since(next.CreatedAt, patient.DefaultMemory, 365*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].ID != b.other.ID {
		t.Errorf("Tom's next request finds %v, want his request stored before the upgrade", refs)
	}
}

func TestIndexPatientsFails(t *testing.T) {
	b := newBacklog(t)
	b.st.Err = errors.New("throttled")
	if code, out, errOut := runPatient(t, b.st, nil, nil, "index-patients"); code != 1 || out != "" || !strings.Contains(errOut, "throttled") {
		t.Errorf("a failing table: exit %d, %q, %q; want 1 and the error", code, out, errOut)
	}
	b.st.Err = nil
	if code, _, errOut := runPatient(t, b.st, nil, nil, "index-patients", "extra"); code != 2 {
		t.Errorf("an argument too many: exit %d, %q; want 2", code, errOut)
	}
}

// TestIndexPatientsAfterARotation: once the link secret is rotated, a
// request indexed under the previous version only is indexed under the
// current one too, so it is still found by contact after the previous
// version is retired (and its hashes looked up no more).
func TestIndexPatientsAfterARotation(t *testing.T) {
	ctx := context.Background()
	b := newBacklog(t) // b.indexed: under patientSigner's version, now the previous one
	current := []byte("the link secret's next version, derived for contacts")
	got, err := ops.IndexPatients(ctx, b.st, current, now)
	if want := (ops.Backfilled{Indexed: 3, NoContact: 1}); err != nil || got != want {
		t.Fatalf("IndexPatients under the new version = %+v, %v; want %+v (the one indexed under the previous version too)", got, err, want)
	}
	rec, err := patient.Collect(ctx, b.st, [][]byte{current}, patient.Contact{Phone: "+13035550199"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{b.indexed.ID, b.earlier.ID}; !slices.Equal(rec.IDs(), want) {
		t.Errorf("the previous version retired, Margaret's number finds %v, want %v", rec.IDs(), want)
	}
	if got, err := ops.IndexPatients(ctx, b.st, current, now); err != nil || got != (ops.Backfilled{Already: 3, NoContact: 1}) {
		t.Errorf("a second run = %+v, %v; want all 3 already indexed", got, err)
	}
}
