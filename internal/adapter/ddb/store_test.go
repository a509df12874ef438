package ddb

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/ratelimit"
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
		return scanned{New(db, name), db}
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

	t.Run("a closed lead is listed by when it closed, an open one is not", func(t *testing.T) {
		l := storetest.Lead(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		closed := time.Date(2026, 5, 1, 10, 0, 0, 1000, time.UTC)
		policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts}
		if err := l.Record(lead.Event{At: closed, Outcome: lead.Booked, Channel: lead.ChannelCall, By: lead.ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		got := raw(t, db, table, leadKey(l.ID))
		if got[attrList] != "closed" || got[attrListAt] != "2026-05-01T10:00:00.000001Z" || got[attrKind] != "lead" {
			t.Errorf("closed lead: list %q at %q, kind %q", got[attrList], got[attrListAt], got[attrKind])
		}
		if err := l.Reopen(lead.Event{At: closed.Add(time.Hour), By: lead.ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Progress(ctx, l, closed.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got = raw(t, db, table, leadKey(l.ID))
		if _, listed := got[attrList]; listed {
			t.Errorf("reopened lead still listed as closed: %v", got)
		}
	})

	t.Run("sessions, codes and audit entries carry their kind, TTL and list", func(t *testing.T) {
		at := time.Date(2026, 5, 1, 9, 0, 0, 2000, time.UTC)
		until := time.Date(2026, 5, 1, 21, 0, 0, 0, time.UTC) // 1777669200
		sess := access.Session{Hash: "abc123", Email: "frontdesk@example-clinic.com", Created: at, Expires: until}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		link := access.Session{Hash: "def456", Scopes: map[string]time.Time{"lead-1": until.Add(-time.Hour)}, Created: at, Expires: until}
		if err := s.CreateSession(ctx, link); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCode(ctx, access.Code{Email: "frontdesk@example-clinic.com", Browser: "b1", Digest: "d1", Expires: until}); err != nil {
			t.Fatal(err)
		}
		if err := s.Audit(ctx, access.AuditEntry{At: at, Actor: "ops", Action: access.SignOutAll, RequestID: "r1", Expires: until}); err != nil {
			t.Fatal(err)
		}
		if err := s.Audit(ctx, access.AuditEntry{At: at, Actor: access.ByLink, Action: access.View, Lead: "lead-1", Expires: until}); err != nil {
			t.Fatal(err)
		}
		items := map[string]map[string]string{
			"session":      raw(t, db, table, sessionKey(sess.Hash)),
			"link session": raw(t, db, table, sessionKey(link.Hash)),
			"code":         raw(t, db, table, codeKey("frontdesk@example-clinic.com", "b1")),
		}
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(table), IndexName: aws.String(ListIndex),
			KeyConditionExpression:    aws.String("#l = :l"),
			ExpressionAttributeNames:  map[string]string{"#l": attrList},
			ExpressionAttributeValues: map[string]types.AttributeValue{":l": str("audit#staff")},
		})
		if err != nil || len(out.Items) != 1 {
			t.Fatalf("staff audit entries: %v, %v", out, err)
		}
		items["staff audit entry"] = scalars(out.Items[0])
		out, err = db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(table), IndexName: aws.String(ListIndex),
			KeyConditionExpression:    aws.String("#l = :l"),
			ExpressionAttributeNames:  map[string]string{"#l": attrList},
			ExpressionAttributeValues: map[string]types.AttributeValue{":l": str("audit#lead#lead-1")},
		})
		if err != nil || len(out.Items) != 1 {
			t.Fatalf("lead audit entries: %v, %v", out, err)
		}
		items["lead audit entry"] = scalars(out.Items[0])
		want := map[string]map[string]string{
			"session": {attrKind: "session", attrEmail: sess.Email, attrCreated: "2026-05-01T09:00:00.000002Z", attrExpires: "1777669200",
				attrList: "session#frontdesk@example-clinic.com", attrListAt: "2026-05-01T09:00:00.000002Z"},
			"link session": {attrKind: "session", attrCreated: "2026-05-01T09:00:00.000002Z", attrExpires: "1777669200"},
			"code":         {attrKind: "code", attrDigest: "d1", attrTries: "0", attrExpires: "1777669200"},
			"staff audit entry": {attrKind: "audit", attrList: "audit#staff", "at": "2026-05-01T09:00:00.000002Z", "actor": "ops",
				"action": "sign-out-all", "requestId": "r1", attrExpires: "1777669200"},
			"lead audit entry": {attrKind: "audit", attrList: "audit#lead#lead-1", "at": "2026-05-01T09:00:00.000002Z", "actor": access.ByLink,
				"action": "view", "lead": "lead-1", attrExpires: "1777669200"},
		}
		for name, got := range items {
			if !regexp.MustCompile(`^(session|code|audit)#`).MatchString(got[attrPK]) {
				t.Errorf("%s: key %q", name, got[attrPK])
			}
			if name == "staff audit entry" || name == "lead audit entry" {
				if !strings.HasPrefix(got[attrListAt], got["at"]+"#"+got["action"]+"#") {
					t.Errorf("%s: listAt %q", name, got[attrListAt])
				}
				delete(got, attrListAt)
			}
			delete(got, attrPK)
			if diff := cmp.Diff(got, want[name]); diff != "" {
				t.Errorf("%s (-got +want):\n%s", name, diff)
			}
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

	t.Run("a contact's index entries hold its key and the lead's id, and page newest first", func(t *testing.T) {
		table := "paged-contacts"
		testenv.CreateTable(t, db, table)
		s := New(db, table)
		s.pageSize = 2
		base := time.Date(2026, 5, 1, 9, 0, 0, 1000, time.UTC)
		k := patient.PhoneKey([]byte("k"), "+13035550199")
		var want []string
		for i := range 5 {
			l := storetest.Lead(base.Add(time.Duration(i) * time.Hour))
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.IndexContacts(ctx, l, []patient.Key{k}); err != nil {
				t.Fatal(err)
			}
			want = append([]string{l.ID}, want...)
			if i > 0 {
				continue
			}
			got := raw(t, db, table, "contact#"+string(k)+"#"+l.ID)
			delete(got, attrPK)
			if diff := cmp.Diff(got, map[string]string{
				attrKind: "contact", attrList: "contact#" + string(k), attrListAt: "2026-05-01T09:00:00.000001Z#" + l.ID,
				"lead": l.ID, attrCreated: "2026-05-01T09:00:00.000001Z", attrExpires: "1809162000",
			}); diff != "" {
				t.Errorf("index entry (-got +want):\n%s", diff)
			}
			if ss, ok := rawItem(t, db, table, leadKey(l.ID))["contactKeys"].(*types.AttributeValueMemberSS); !ok || !slices.Equal(ss.Value, []string{string(k)}) {
				t.Errorf("the lead's contactKeys: %v, want the string set of its key", ss)
			}
		}
		var got []string
		for r, err := range s.ContactRequests(ctx, k, time.Time{}, base) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r.ID)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("requests (-got +want):\n%s", diff)
		}
		n, err := s.Erase(ctx, patient.Erasure{Keys: []patient.Key{k}})
		if err != nil || n != 5 {
			t.Errorf("erasing the key's entries, page by page: %d, %v; want 5", n, err)
		}
	})

	t.Run("closed leads and the audit trail page through the list index, latest first", func(t *testing.T) {
		table := "paged-lists"
		testenv.CreateTable(t, db, table)
		s := New(db, table)
		s.pageSize = 2
		base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts}
		var closed, entries []string
		for i := range 7 {
			l := storetest.Lead(base)
			at := base.Add(time.Duration(i) * time.Minute)
			if err := l.Record(lead.Event{At: at, Outcome: lead.Booked, Channel: lead.ChannelCall, By: lead.ByLink}, policy); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.Audit(ctx, access.AuditEntry{At: at, Actor: access.ByLink, Action: access.Attempt, Lead: "lead-1", RequestID: l.ID, Expires: base.AddDate(1, 0, 0)}); err != nil {
				t.Fatal(err)
			}
			closed = append([]string{l.ID}, closed...)
			entries = append([]string{l.ID}, entries...)
		}
		var got []string
		for l, err := range s.List(ctx, inbox.Closed, inbox.Span{Newest: true}, base) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, l.ID)
		}
		if diff := cmp.Diff(got, closed); diff != "" {
			t.Errorf("closed (-got +want):\n%s", diff)
		}
		got = nil
		for e, err := range s.AuditTrail(ctx, "lead-1", time.Time{}, true, base) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e.RequestID)
		}
		if diff := cmp.Diff(got, entries); diff != "" {
			t.Errorf("audit trail (-got +want):\n%s", diff)
		}
	})
}

// raw reads an item's scalar attributes as strings.
func raw(t *testing.T, db *dynamodb.Client, table, pk string) map[string]string {
	t.Helper()
	return scalars(rawItem(t, db, table, pk))
}

// rawItem reads an item as stored.
func rawItem(t *testing.T, db *dynamodb.Client, table, pk string) map[string]types.AttributeValue {
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
	return out.Item
}

// scalars are an item's scalar attributes as strings.
func scalars(item map[string]types.AttributeValue) map[string]string {
	m := map[string]string{}
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			m[k] = v.Value
		case *types.AttributeValueMemberN:
			m[k] = v.Value
		}
	}
	return m
}
