package ddb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestFromStreamOnAWSSample converts AWS's own sample stream batch: none of
// its records is a lead, and its binary values survive.
func TestFromStreamOnAWSSample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Root(t), "infra/events/dynamodb-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e events.DynamoDBEvent
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Records) == 0 {
		t.Fatal("no records in the sample")
	}
	for i, r := range e.Records {
		if IsLead(r.Change.NewImage) {
			t.Errorf("record %d taken for a lead", i)
		}
		item, err := FromStream(r.Change.NewImage)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		var got map[string]any
		if err := attributevalue.UnmarshalMap(item, &got); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if i == 0 {
			want := map[string]any{
				"val": "data", "key": "binary",
				"asdf1": []byte{0, 1, 42, 65},
				"asdf2": [][]byte{{0, 1, 42, 65}, {65, 42, 1, 0}},
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("record 0 (-got +want):\n%s", diff)
			}
		}
	}
}

func TestFromStreamEveryType(t *testing.T) {
	img := map[string]events.DynamoDBAttributeValue{
		"s":    events.NewStringAttribute("Núñez"),
		"n":    events.NewNumberAttribute("12.5"),
		"b":    events.NewBinaryAttribute([]byte{1, 2}),
		"bool": events.NewBooleanAttribute(true),
		"null": events.NewNullAttribute(),
		"ss":   events.NewStringSetAttribute([]string{"a", "b"}),
		"ns":   events.NewNumberSetAttribute([]string{"1", "2"}),
		"bs":   events.NewBinarySetAttribute([][]byte{{3}}),
		"l":    events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("x"), events.NewNumberAttribute("7")}),
		"m": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
			"inner": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"deep": events.NewBooleanAttribute(false)}),
		}),
	}
	item, err := FromStream(img)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := attributevalue.UnmarshalMap(item, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"s": "Núñez", "n": 12.5, "b": []byte{1, 2}, "bool": true, "null": nil,
		"ss": []string{"a", "b"}, "ns": []float64{1, 2}, "bs": [][]byte{{3}},
		"l": []any{"x", 7.0}, "m": map[string]any{"inner": map[string]any{"deep": false}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

// TestLeadFromStream: a lead as stored decodes from its stream image to the
// same lead, through the store's own decoding, a returning patient's
// contact keys (a string set) and links to their other requests too.
func TestLeadFromStream(t *testing.T) {
	l := storetest.Lead(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	l.Alert = &lead.Delivery{At: l.CreatedAt.Add(time.Second), MessageID: "m-1"}
	l.ContactKeys = []string{"JjbJ0Jw3NuqGvNNmp8mF4wW-2bRdvQ2jUlYeYuU5CxM", "vRBjLnAhYxLLCrbwgaLq6vkhOFCNfir2t-R_saKA94Y"}
	l.Earlier, l.Newer = []string{"earlier-2", "earlier-1"}, "newer-1"
	item, err := attributevalue.MarshalMap(toItem(l))
	if err != nil {
		t.Fatal(err)
	}
	img := toStream(t, item)
	if !IsLead(img) {
		t.Fatal("a lead's image not taken for a lead")
	}
	got, err := LeadFromStream(img)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, l); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func toStream(t *testing.T, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	img, err := ToStream(item)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestToStreamRoundTrip: every type survives ToStream then FromStream.
func TestToStreamRoundTrip(t *testing.T) {
	item := map[string]types.AttributeValue{
		"s": &types.AttributeValueMemberS{Value: "山田"}, "n": &types.AttributeValueMemberN{Value: "-1.5"},
		"b": &types.AttributeValueMemberB{Value: []byte{0, 255}}, "bool": &types.AttributeValueMemberBOOL{Value: true},
		"null": &types.AttributeValueMemberNULL{Value: true}, "ss": &types.AttributeValueMemberSS{Value: []string{"a"}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"1", "2"}}, "bs": &types.AttributeValueMemberBS{Value: [][]byte{{7}}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "3"}}},
	}
	back, err := FromStream(toStream(t, item))
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := attributevalue.UnmarshalMap(back, &got); err != nil {
		t.Fatal(err)
	}
	if err := attributevalue.UnmarshalMap(item, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}
