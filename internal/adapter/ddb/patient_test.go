package ddb

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// scanned is the store with what its table holds shown by a Scan
// (storetest.Dumper): the contract's check that an erase leaves nothing
// mentioning the patient. Only tests scan; the store never does.
type scanned struct {
	*Store
	db *dynamodb.Client
}

func (s scanned) Dump(t testing.TB) []string {
	t.Helper()
	var out []string
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			for name, v := range item {
				out = append(out, name+" "+text(v))
			}
		}
	}
	return out
}

// text is an attribute value and every value inside it, as text.
func text(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberL:
		s := ""
		for _, e := range v.Value {
			s += text(e) + " "
		}
		return s
	case *types.AttributeValueMemberM:
		s := ""
		for k, e := range v.Value {
			s += k + "=" + text(e) + " "
		}
		return s
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberSS:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberB:
		return string(v.Value)
	}
	return fmt.Sprint(v)
}
