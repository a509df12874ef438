package ddb

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// scans counts the Scan calls, each one page.
type scans struct {
	API
	pages int
}

func (s *scans) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	s.pages++
	return s.API.Scan(ctx, in, optFns...)
}

// TestScanLeads: make index-patients' Scan yields the leads still within
// retention, a 1.0.x lead among them, and no other kind of item, page by
// page, on minidyn (make dev, LOCAL=1) and on moto; the 1.0.x lead is then
// indexed and found by its contact.
func TestScanLeads(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) (*dynamodb.Client, string){
		"minidyn": func(t *testing.T) (*dynamodb.Client, string) {
			db := minidynClient(t)
			return db, minidynTable(t, db)
		},
		"moto": func(t *testing.T) (*dynamodb.Client, string) {
			db := openMoto(t)
			name := "leads-" + uuid.NewString()[:8]
			testenv.CreateTable(t, db, name)
			return db, name
		},
	}
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	key := []byte("0123456789abcdef0123456789abcdef")
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			db, table := open(t)
			counted := &scans{API: db}
			s := New(counted, table)
			s.pageSize = 2

			// Leads: two of today's (one indexed: its contact entries are
			// items too), one 1.0.x stored, one whose retention has ended.
			fresh, indexed := storetest.Lead(now.Add(-time.Hour)), storetest.Lead(now.Add(-2*time.Hour))
			ended := lead.New(uuid.NewString(), lead.Request{Name: "Ended", Phone: "+12025550100"}, now.Add(-400*24*time.Hour), 365*24*time.Hour)
			for _, l := range []lead.Lead{fresh, indexed, ended} {
				if err := s.Save(ctx, l, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.IndexContacts(ctx, indexed, patient.Of(indexed).Keys(key)); err != nil {
				t.Fatal(err)
			}
			old := uuid.NewString()
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: previousItem(old, "contacted", map[string]types.AttributeValue{
				"contactedAt": str("2026-11-20T15:00:00.000000Z"), "outcome": str("no-answer"),
			})}); err != nil {
				t.Fatal(err)
			}
			// Every other kind of item the table holds.
			held := lead.NewHeld(uuid.NewString(), lead.Request{Name: "Held", Phone: "+12025550143"}, lead.Trap{Honeypot: true}, now, 7*24*time.Hour)
			if err := s.Hold(ctx, held, "2026-11-21", &ratelimit.Charge{Key: "abc#1", Limit: 5, Until: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateSession(ctx, access.Session{Hash: "session-hash", Email: "frontdesk@example-clinic.com", Created: now, Expires: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutCode(ctx, access.Code{Email: "frontdesk@example-clinic.com", Browser: "browser-hash", Send: true, Expires: now.Add(10 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := s.Audit(ctx, access.AuditEntry{At: now, Actor: "frontdesk@example-clinic.com", Action: access.View, Lead: fresh.ID, RequestID: "r1", Expires: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := s.ClaimRun(ctx, "followup#2026-11-21", now, time.Minute, time.Hour); err != nil {
				t.Fatal(err)
			}

			var got []string
			byID := map[string]lead.Lead{}
			for l, err := range s.ScanLeads(ctx, now) {
				if err != nil {
					t.Fatal(err)
				}
				got, byID[l.ID] = append(got, l.ID), l
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values([]string{fresh.ID, indexed.ID, old}))
			if !slices.Equal(got, want) {
				t.Errorf("scanned %v, want the three leads within retention %v", got, want)
			}
			if counted.pages < 3 {
				t.Errorf("read in %d pages of 2 items: the scan did not go past its first pages", counted.pages)
			}
			if l := byID[old]; l.Status != lead.StatusOpen || l.Tries != 1 || l.Phone != "+12025550143" || len(l.ContactKeys) != 0 {
				t.Errorf("the 1.0.x lead read as %+v", l)
			}
			if l := byID[indexed.ID]; len(l.ContactKeys) != 2 {
				t.Errorf("the indexed lead has contact keys %v, want its phone's and email's", l.ContactKeys)
			}

			// The 1.0.x lead, indexed as make index-patients does, is found
			// by its number.
			if err := s.IndexContacts(ctx, byID[old], patient.Of(byID[old]).Keys(key)); err != nil {
				t.Fatal(err)
			}
			refs, err := patient.Find(ctx, s, []patient.Key{patient.PhoneKey(key, "+12025550143")}, time.Time{}, now)
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, r := range refs {
				found = append(found, r.ID)
			}
			slices.Sort(found)
			if want := slices.Sorted(slices.Values([]string{indexed.ID, old})); !slices.Equal(found, want) {
				t.Errorf("the number finds %v, want %v", found, want)
			}
		})
	}
}
