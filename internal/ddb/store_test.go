package ddb

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/ratelimit"
	"github.com/openclinic/leadhandler/internal/storetest"
	"github.com/openclinic/leadhandler/internal/testenv"
)

var _ storetest.Store = (*Store)(nil)

// openMoto starts moto and returns a client loaded the way main loads it.
func openMoto(t *testing.T) *dynamodb.Client {
	endpoint := testenv.Moto(t)
	return dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
}

// TestContract runs the store contract against DynamoDB as moto's server
// emulates it, each case on a fresh table made from template.yaml.
func TestContract(t *testing.T) {
	db := openMoto(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		name := "leads-" + uuid.NewString()[:8]
		testenv.CreateTable(t, db, name)
		return New(db, name)
	})
}

func TestItemsOnTheWire(t *testing.T) {
	db := openMoto(t)
	ctx := context.Background()
	table := "leads"
	testenv.CreateTable(t, db, table)
	s := New(db, table)

	t.Run("TTL is on expiresAt", func(t *testing.T) {
		out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		d := out.TimeToLiveDescription
		if aws.ToString(d.AttributeName) != attrExpires || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
			t.Errorf("TTL = %s %s, want %s ENABLED", aws.ToString(d.AttributeName), d.TimeToLiveStatus, attrExpires)
		}
	})

	t.Run("a lead carries its TTL, kind and pending marker", func(t *testing.T) {
		l := storetest.Lead(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		got := raw(t, db, table, leadKey(l.ID))
		want := map[string]string{
			attrKind:    "lead",
			attrPending: "new",
			attrCreated: "2026-05-01T09:00:00.000000Z",
			attrExpires: "1809162000", // 2027-05-01T09:00:00Z
			"status":    "new",
		}
		subset := map[string]string{}
		for k := range want {
			subset[k] = got[k]
		}
		if diff := cmp.Diff(subset, want); diff != "" {
			t.Errorf("item (-got +want):\n%s", diff)
		}
	})

	t.Run("a rate counter expires after its window", func(t *testing.T) {
		until := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		c := ratelimit.Charge{Key: "abc#1", Limit: 5, Until: until}
		for range 2 {
			if err := s.Charge(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got := raw(t, db, table, rateKey(c.Key))
		if got[attrKind] != "rate" || got[attrHits] != "2" || got[attrExpires] != "1777629660" {
			t.Errorf("counter = %v, want kind rate, 2 hits, expiring a minute after the window", got)
		}
	})

	t.Run("pending pages through the GSI", func(t *testing.T) {
		table := "paged"
		testenv.CreateTable(t, db, table)
		s := New(db, table)
		s.pageSize = 2
		base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		var want []string
		for i := range 7 {
			l := storetest.Lead(base.Add(time.Duration(i) * time.Minute))
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, l.ID)
		}
		var got []string
		for l, err := range s.Pending(ctx, base.Add(time.Hour), base) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, l.ID)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("pending (-got +want):\n%s", diff)
		}
	})
}

// raw reads an item's scalar attributes as strings.
func raw(t *testing.T, db *dynamodb.Client, table, pk string) map[string]string {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		t.Fatalf("no item %s", pk)
	}
	m := map[string]string{}
	for k, v := range out.Item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			m[k] = v.Value
		case *types.AttributeValueMemberN:
			m[k] = v.Value
		}
	}
	return m
}
