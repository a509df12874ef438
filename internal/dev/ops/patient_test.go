package ops_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/patient"
)

var patientSigner, _ = link.NewSigner([]byte("0123456789abcdef0123456789abcdef"))

// disarmed records the leads whose schedules were deleted; fail fails each.
type disarmed struct {
	ids  []string
	fail error
}

func (d *disarmed) Disarm(_ context.Context, id string) error {
	d.ids = append(d.ids, id)
	return d.fail
}

// theirPII is what of the patient must never reach the audit trail.
var theirPII = []string{"Margaret", "3035550199", "555-0199", "margaret@"}

// patientStore holds one patient's two requests (the second also by an
// address with capitals), indexed as notify indexes them, a held request
// with her number, and another patient's request.
func patientStore(t *testing.T) (*storetest.MemStore, []string, lead.Lead) {
	t.Helper()
	ctx := context.Background()
	st := storetest.NewMemStore()
	req := lead.Request{Name: "Margaret Kowalski", Phone: "+13035550199", PreferredContact: lead.ByPhone, Reason: "Sore hip"}
	first := lead.New("11111111-0000-4000-8000-000000000001", req, now.Add(-8*24*time.Hour), 365*24*time.Hour)
	req.Email = "Margaret@Example.com"
	second := lead.New("22222222-0000-4000-8000-000000000002", req, now.Add(-time.Hour), 365*24*time.Hour)
	other := storetest.Lead(now.Add(-2 * time.Hour))
	key := patientSigner.Key(patient.Purpose)
	for _, l := range []lead.Lead{first, second, other} {
		if err := st.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.IndexContacts(ctx, l, patient.Of(l).Keys(key)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Hold(ctx, lead.NewHeld("33333333-0000-4000-8000-000000000003", req, lead.Trap{Honeypot: true}, now.Add(-time.Minute), 7*24*time.Hour), "2026-11-20", nil); err != nil {
		t.Fatal(err)
	}
	return st, []string{second.ID, first.ID}, other
}

// runPatient runs the tool on st with the signer's keys and guard g.
func runPatient(t *testing.T, st ops.Store, g ops.Guard, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = ops.Run(context.Background(), args, ops.Env{
		Getenv: func(k string) string { return env[k] },
		Stdout: &out, Stderr: &errOut,
		Now:  func() time.Time { return now },
		Open: func(context.Context) (ops.Store, error) { return st, nil },
		Reach: func(context.Context) (ops.Reach, error) {
			return ops.Reach{Keys: patientSigner.Keys(patient.Purpose), Guard: g}, nil
		},
	})
	return code, out.String(), errOut.String()
}

func auditOf(st *storetest.MemStore, a access.Action) []access.AuditEntry {
	var out []access.AuditEntry
	for _, e := range st.AuditEntries() {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

func noPatientPII(t *testing.T, entries []access.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		s := fmt.Sprintf("%+v", e)
		for _, p := range theirPII {
			if strings.Contains(strings.ToLower(s), strings.ToLower(p)) {
				t.Errorf("%q in the audit entry %+v", p, e)
			}
		}
	}
}

func TestPatientExport(t *testing.T) {
	st, want, _ := patientStore(t)
	// A number as dialled in the US (PHONE_REGION unset): both requests.
	code, out, errOut := runPatient(t, st, nil, nil, "patient-export", "-contact", "(303) 555-0199")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p struct {
		Requests []struct{ ID, Email string }
		Held     []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var got []string
	for _, r := range p.Requests {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, want) || len(p.Held) != 1 {
		t.Errorf("requests %v, held %v; want %v and the held one", got, p.Held, want)
	}
	// An address in other capitals, to a file.
	file := filepath.Join(t.TempDir(), "margaret.json")
	code, out, errOut = runPatient(t, st, nil, nil, "patient-export", "-contact", "MARGARET@example.COM", "-out", file)
	if code != 0 || out != "Wrote 1 request to "+file+".\n" {
		t.Fatalf("exit %d, %q: %s", code, out, errOut)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), want[0]) || strings.Contains(string(b), want[1]) {
		t.Errorf("the file: %v\n%s", err, b)
	}
	entries := auditOf(st, access.PatientExport)
	if len(entries) != 2 || entries[0].Requests != 2 || entries[1].Requests != 1 || entries[0].Actor != "make patient-export" {
		t.Errorf("audit entries %+v", entries)
	}
	noPatientPII(t, entries)
}

func TestErase(t *testing.T) {
	st, ids, other := patientStore(t)
	g := &disarmed{}
	code, out, errOut := runPatient(t, st, g, nil, "erase", "-contact", "+1 303 555 0199", "-confirm", "erase")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// 2 requests, 3 index entries (the number's two, the address's one), 1 held.
	if want := "Erased: 2 requests and their history, 1 held request, 6 items in all.\n"; out != want {
		t.Errorf("printed %q, want %q", out, want)
	}
	for _, id := range ids {
		if _, err := st.Get(context.Background(), id, now); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("lead %s: %v", id, err)
		}
	}
	if len(st.HeldRequests()) != 0 {
		t.Error("the held request is still stored")
	}
	if _, err := st.Get(context.Background(), other.ID, now); err != nil {
		t.Errorf("the other patient's request: %v", err)
	}
	slices.Sort(g.ids)
	if want := slices.Sorted(slices.Values(ids)); !slices.Equal(g.ids, want) {
		t.Errorf("schedules deleted %v, want %v", g.ids, want)
	}
	entries := auditOf(st, access.Erase)
	if len(entries) != 1 || entries[0].Requests != 2 || entries[0].Items != 6 || entries[0].Actor != "make erase" || !entries[0].At.Equal(now) {
		t.Errorf("audit entries %+v", entries)
	}
	noPatientPII(t, st.AuditEntries())

	// make audit shows the count.
	var trail bytes.Buffer
	if err := ops.Print(context.Background(), &trail, st, "", time.Time{}, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trail.String(), "erase   2 requests, 6 items  make erase") {
		t.Errorf("make audit printed:\n%s", trail.String())
	}
}

func TestEraseWithoutTheScheduler(t *testing.T) {
	st, _, _ := patientStore(t)
	code, out, _ := runPatient(t, st, nil, nil, "erase", "-contact", "margaret@example.com", "-confirm", "erase")
	if code != 0 || !strings.Contains(out, "Erased: 1 request") || !strings.Contains(out, "not reachable from here") {
		t.Errorf("exit %d: %q", code, out)
	}
	// A schedule the guard fails to delete does not stop the erase.
	st, _, _ = patientStore(t)
	code, out, _ = runPatient(t, st, &disarmed{fail: errors.New("throttled")}, nil, "erase", "-contact", "+13035550199", "-confirm", "erase")
	if code != 0 || !strings.Contains(out, "Erased: 2 requests") || !strings.Contains(out, "of 2 requests could not be deleted") {
		t.Errorf("exit %d: %q", code, out)
	}
}

func TestPatientUsage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"erase without the word", []string{"erase", "-contact", "+13035550199"}, nil, "CONFIRM=erase"},
		{"erase with another word", []string{"erase", "-contact", "+13035550199", "-confirm", "yes"}, nil, "CONFIRM=erase"},
		{"no contact", []string{"patient-export", "-contact", ""}, nil, "CONTACT="},
		{"not a contact", []string{"erase", "-contact", "Margaret", "-confirm", "erase"}, nil, `CONTACT "Margaret"`},
		{"no area code", []string{"patient-export", "-contact", "555-0199"}, nil, "area code"},
		{"a bad region", []string{"patient-export", "-contact", "555-0199"}, map[string]string{"PHONE_REGION": "XX"}, "PHONE_REGION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, ids, _ := patientStore(t)
			code, out, errOut := runPatient(t, st, nil, tc.env, tc.args...)
			if code != ops.ExitUsage || out != "" || !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.wantErr)
			}
			for _, id := range ids {
				if _, err := st.Get(context.Background(), id, now); err != nil {
					t.Errorf("lead %s: %v", id, err)
				}
			}
			if n := len(st.AuditEntries()); n != 0 {
				t.Errorf("%d audit entries", n)
			}
		})
	}
	// A number of another region, with PHONE_REGION.
	st, _, _ := patientStore(t)
	if code, out, errOut := runPatient(t, st, nil, map[string]string{"PHONE_REGION": "GB"}, "patient-export", "-contact", "020 7946 0958"); code != 0 || !strings.Contains(out, `"requests": []`) {
		t.Errorf("GB number: exit %d %q %s", code, out, errOut)
	}
}

// auditFails is a store whose audit trail cannot be written.
type auditFails struct{ *storetest.MemStore }

func (auditFails) Audit(context.Context, access.AuditEntry) error { return errors.New("throttled") }

func TestNoAuditNoExport(t *testing.T) {
	st, _, _ := patientStore(t)
	code, out, errOut := runPatient(t, auditFails{st}, nil, nil, "patient-export", "-contact", "+13035550199")
	if code != ops.ExitStore || out != "" || !strings.Contains(errOut, "nothing was exported") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestLocalReach(t *testing.T) {
	dir := t.TempDir()
	secret := "0123456789abcdef0123456789abcdef"
	if err := ops.WriteLocal(dir, ops.LocalTable{Endpoint: "http://127.0.0.1:1", Table: "leads", LinkSecret: secret}); err != nil {
		t.Fatal(err)
	}
	env, err := ops.Local(ops.Env{Getenv: func(string) string { return "" }, Now: func() time.Time { return now }}, dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.Reach(context.Background())
	if err != nil || r.Guard != nil || len(r.Keys) != 1 || !bytes.Equal(r.Keys[0], patientSigner.Key(patient.Purpose)) {
		t.Errorf("reach %+v, %v: want make dev's link secret's key and no guard", r, err)
	}
	if info, err := os.Stat(filepath.Join(dir, ops.LocalFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the file holding the secret: %v, %v", info, err)
	}
}
