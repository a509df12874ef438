package stack

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestTableInputReadsTheTemplate(t *testing.T) {
	tpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := TableInput(tpl, TableLogicalID, "leads")
	if err != nil {
		t.Fatal(err)
	}
	if got.TTLAttribute != "expiresAt" {
		t.Errorf("TTL attribute = %q, want expiresAt", got.TTLAttribute)
	}
	if n := len(got.Create.GlobalSecondaryIndexes); n != 1 {
		t.Fatalf("%d GSIs, want 1", n)
	}
	if name := aws.ToString(got.Create.GlobalSecondaryIndexes[0].IndexName); name != "pending-by-created" {
		t.Errorf("GSI = %q", name)
	}
	if got.Create.StreamSpecification == nil || got.Create.StreamSpecification.StreamViewType != "NEW_IMAGE" {
		t.Errorf("stream = %+v, want NEW_IMAGE", got.Create.StreamSpecification)
	}
}
