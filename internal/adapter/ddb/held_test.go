package ddb

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
)

// TestHeldItemIsFilteredFromNotify: a held request's item, as its stream
// record carries it, is not a lead's, so the event source's filter (kind
// "lead" only, which make dev's stream applies with IsLead) never hands it
// to notify; its release's lead item is one.
func TestHeldItemIsFilteredFromNotify(t *testing.T) {
	h := storetest.Held(time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC))
	item, err := attributevalue.MarshalMap(toHeldItem(h))
	if err != nil {
		t.Fatal(err)
	}
	img, err := ToStream(item)
	if err != nil {
		t.Fatal(err)
	}
	if IsLead(img) || IsLeadItem(item) {
		t.Errorf("a held item passes the stream's filter: kind %v", img[attrKind])
	}
	if _, ok := item[attrPending]; ok {
		t.Error("a held item is in the pending index")
	}
	if _, ok := item[attrQueue]; ok {
		t.Error("a held item is in the queue index")
	}
	released, err := attributevalue.MarshalMap(toItem(h.Release(h.CreatedAt, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if !IsLeadItem(released) {
		t.Error("a released request is not a lead item")
	}
}
