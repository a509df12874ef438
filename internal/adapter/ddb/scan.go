package ddb

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/lead"
)

// ScanLeads yields every lead whose retention has not ended at now, in no
// order, page by page: a Scan of the whole table, filtered on kind "lead",
// each lead read as Get reads it (a lead any earlier release stored
// included). It is for one-off commands run from a terminal (make
// index-patients, internal/dev/ops), never for a function: the functions
// read by key or by Query only, no function's store interface has it, and
// no function's policy allows dynamodb:Scan. A lead that does not decode
// is yielded as its error (with its key, no personal data), and the scan
// goes on.
func (s *Store) ScanLeads(ctx context.Context, now time.Time) iter.Seq2[lead.Lead, error] {
	return func(yield func(lead.Lead, error) bool) {
		in := &dynamodb.ScanInput{
			TableName:                 aws.String(s.table),
			FilterExpression:          aws.String("#kind = :lead"),
			ExpressionAttributeNames:  map[string]string{"#kind": attrKind},
			ExpressionAttributeValues: map[string]types.AttributeValue{":lead": str(kindLead)},
			ConsistentRead:            aws.Bool(true),
		}
		if s.pageSize > 0 {
			in.Limit = aws.Int32(s.pageSize) // items read a page, before the filter
		}
		pages := dynamodb.NewScanPaginator(s.db, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(lead.Lead{}, fmt.Errorf("scan the table's leads: %w", err))
				return
			}
			for _, item := range page.Items {
				l, err := decodeLead(item)
				if err != nil {
					key, _ := item[attrPK].(*types.AttributeValueMemberS)
					if key != nil {
						err = fmt.Errorf("%s: %w", key.Value, err)
					}
					if !yield(lead.Lead{}, err) {
						return
					}
					continue
				}
				if !l.ExpiresAt.After(now) {
					continue // TTL deletes it within days
				}
				if !yield(l, nil) {
					return
				}
			}
		}
	}
}
