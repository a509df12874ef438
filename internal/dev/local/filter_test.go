package local

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// The stream's stand-in passes to notify what the template's FilterCriteria
// pass, read from template.yaml and applied as Lambda applies them: new
// leads; code items whose code is owed, inserted or put over the same
// browser's earlier one; and nothing else (a lead's change, a code owing
// none, a code notify has claimed, a session).
func TestTheStreamFiltersAsTheTemplate(t *testing.T) {
	tpl, err := samtemplate.Load(filepath.Join(testenv.Root(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	patterns, err := samtemplate.StreamFilters(tpl, samtemplate.StreamLogicalID)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := parseFilters(patterns)
	if err != nil {
		t.Fatal(err)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	leadItem := map[string]types.AttributeValue{"pk": s("lead#1"), "kind": s("lead"), "status": s("new")}
	code := func(send bool) map[string]types.AttributeValue {
		c := access.Code{Email: "frontdesk@example.com", Browser: access.IDHash("b"), Send: send, Expires: time.Unix(1_800_000_000, 0)}
		img, err := ddb.CodeImage(c)
		if err != nil {
			t.Fatal(err)
		}
		item, err := ddb.FromStream(img)
		if err != nil {
			t.Fatal(err)
		}
		return item
	}
	claimed := code(false)
	delete(claimed, "send")
	claimed["digest"] = s("abc")
	sendAsText := code(true)
	sendAsText["send"] = s("true")
	session := map[string]types.AttributeValue{"pk": s("session#x"), "kind": s("session")}
	insert, modify := events.DynamoDBOperationTypeInsert, events.DynamoDBOperationTypeModify
	for _, tc := range []struct {
		name string
		op   events.DynamoDBOperationType
		item map[string]types.AttributeValue
		want bool
	}{
		{"a new lead", insert, leadItem, true},
		{"a lead changed", modify, leadItem, false},
		{"a code owed", insert, code(true), true},
		{"a code owed, put over the browser's earlier one", modify, code(true), true},
		{"a code owing none (an unlisted address)", insert, code(false), false},
		{"a code notify claimed", modify, claimed, false},
		{"a send that is no boolean", insert, sendAsText, false},
		{"a session", insert, session, false},
	} {
		r, err := record(tc.op, tc.item, "1")
		if err != nil {
			t.Fatal(err)
		}
		if got := fs.pass(r); got != tc.want {
			t.Errorf("%s (%s): passed %v, want %v", tc.name, tc.op, got, tc.want)
		}
	}
	// An operator the stand-in does not model is refused, not ignored.
	if _, err := parseFilters([]string{`{"dynamodb": {"NewImage": {"kind": {"S": [{"prefix": "le"}]}}}}`}); err == nil {
		t.Error("a prefix filter taken")
	}
	if ok, _ := parseFilters([]string{`{"dynamodb": {"NewImage": {"digest": {"S": [{"exists": false}]}}}}`}); !ok.pass(mustRecord(t, insert, code(true))) || ok.pass(mustRecord(t, insert, claimed)) {
		t.Error(`{"exists": false} applied wrongly`)
	}
}

func mustRecord(t *testing.T, op events.DynamoDBOperationType, item map[string]types.AttributeValue) events.DynamoDBEventRecord {
	t.Helper()
	r, err := record(op, item, "1")
	if err != nil {
		t.Fatal(err)
	}
	return r
}
