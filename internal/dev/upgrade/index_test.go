package upgrade_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/patient"
)

// TestIndexPatientsOnThePreviousRelease: make index-patients, run once on
// a table as each earlier release left it, indexes every lead it stored
// (every status, the legacy "contacted" shape too), so the patient's data
// by contact (make patient-export, GET /staff/patient, make erase) finds
// them all; run again, it indexes nothing more.
func TestIndexPatientsOnThePreviousRelease(t *testing.T) {
	signer, err := link.NewSigner([]byte(linkSecret))
	if err != nil {
		t.Fatal(err)
	}
	keys := signer.Keys(patient.Purpose)
	for _, file := range fixtures {
		t.Run(file, func(t *testing.T) {
			db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t)))
			testenv.CreateTable(t, db, "leads")
			load(t, db, file)
			store := ddb.New(db, "leads")
			now := time.Now() // wall clock: the fixture's leads keep until 2036, and the store reads retention on the clock it is given
			found := func(c patient.Contact) []string {
				t.Helper()
				rec, err := patient.Collect(context.Background(), store, keys, c, now)
				if err != nil {
					t.Fatal(err)
				}
				return slices.Sorted(slices.Values(rec.IDs()))
			}
			phone := patient.Contact{Phone: "+12025550143"} // every lead's; the address is all but one's (gen.go)
			if got := found(phone); len(got) != 0 {
				t.Fatalf("before: the number finds %v, want none (the release indexed nothing)", got)
			}
			run := func() string {
				t.Helper()
				var out, errOut bytes.Buffer
				code := ops.Run(context.Background(), []string{"index-patients"}, ops.Env{
					Getenv: func(string) string { return "" },
					Stdout: &out, Stderr: &errOut,
					Now:   func() time.Time { return now },
					Open:  func(context.Context) (ops.Store, error) { return store, nil },
					Reach: func(context.Context) (ops.Reach, error) { return ops.Reach{Keys: keys}, nil },
				})
				if code != ops.ExitOK {
					t.Fatalf("exit %d: %s", code, errOut.String())
				}
				return out.String()
			}
			if got, want := run(), "Indexed 12 requests; 0 were already indexed; 0 have no phone or email.\n"; got != want {
				t.Errorf("printed %q, want %q", got, want)
			}
			want := slices.Sorted(slices.Values(allLeads))
			if got := found(phone); !slices.Equal(got, want) {
				t.Errorf("the number finds %v, want every lead the release stored %v", got, want)
			}
			// newNoAlert gave no email.
			byEmail := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == newNoAlert })
			if got := found(patient.Contact{Email: "Margaret@Example.com"}); !slices.Equal(got, byEmail) {
				t.Errorf("the address finds %v, want %v", got, byEmail)
			}
			if got, want := run(), "Indexed 0 requests; 12 were already indexed; 0 have no phone or email.\n"; got != want {
				t.Errorf("run again: printed %q, want %q", got, want)
			}
		})
	}
}
