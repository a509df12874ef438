package ddb

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// A held request is an item of its own kind ("held", key "held#<id>"), so
// the stream's filter (kind "lead" only) never alerts it and no lead index
// lists it. It holds what a lead item would, plus why it was held, and is
// listed newest first in ListIndex under "held" by "<createdAt>#<id>" (no
// Scan, no index of its own). Each clinic day's count is one item
// ("count#held#<day>"), counted in the same transaction as the put, so a
// replay counts nothing.

func heldKey(id string) string       { return kindHeld + "#" + id }
func heldCountKey(day string) string { return kindCount + "#" + kindHeld + "#" + day }

// heldItem is a held request as stored.
type heldItem struct {
	leadItem
	Honeypot  bool   `dynamodbav:"honeypot,omitempty"`
	ElapsedMS *int64 `dynamodbav:"elapsedMs,omitempty"`
	TooFast   bool   `dynamodbav:"tooFast,omitempty"`
}

// heldListAt is a held request's place in its list: by time, then id, so a
// page's last row is an exact cursor.
func heldListAt(created time.Time, id string) string { return stamp(created) + "#" + id }

func toHeldItem(h lead.Held) heldItem {
	it := heldItem{leadItem: toItem(h.Lead), Honeypot: h.Trap.Honeypot, ElapsedMS: h.Trap.ElapsedMS, TooFast: h.Trap.TooFast}
	it.PK, it.Kind, it.Status, it.Pending = heldKey(h.ID), kindHeld, string(lead.StatusHeld), ""
	it.Queue, it.QueueAt = "", ""
	it.List, it.ListAt = listHeld, heldListAt(h.CreatedAt, h.ID)
	return it
}

func decodeHeld(item map[string]types.AttributeValue) (lead.Held, error) {
	var it heldItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return lead.Held{}, fmt.Errorf("decode held request: %w", err)
	}
	l, err := it.lead()
	if err != nil {
		return lead.Held{}, fmt.Errorf("held request: %w", err)
	}
	return lead.Held{Lead: l, Trap: lead.Trap{Honeypot: it.Honeypot, ElapsedMS: it.ElapsedMS, TooFast: it.TooFast}}, nil
}

// Hold stores a trapped request for review and counts it under day (the
// clinic's date, 2006-01-02), never overwriting one with the same id
// (lead.ErrExists, counted once). With a charge, the client's counter is
// charged in the same transaction: over the limit, nothing is stored
// (ratelimit.ErrLimited).
func (s *Store) Hold(ctx context.Context, h lead.Held, day string, charge *ratelimit.Charge) error {
	item, err := attributevalue.MarshalMap(toHeldItem(h))
	if err != nil {
		return fmt.Errorf("hold request %s: marshal: %w", h.ID, err)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
			TableName:                aws.String(s.table),
			Item:                     item,
		}},
		{Update: &types.Update{
			UpdateExpression:         aws.String("SET #kind = :kind, #exp = if_not_exists(#exp, :exp) ADD #n :one"),
			ExpressionAttributeNames: map[string]string{"#kind": attrKind, "#exp": attrExpires, "#n": attrHits},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":kind": str(kindCount), ":exp": num(h.ExpiresAt.Unix()), ":one": num(1),
			},
			TableName: aws.String(s.table),
			Key:       pk(heldCountKey(day)),
		}},
	}
	if charge != nil {
		items = append(items, types.TransactWriteItem{Update: s.chargeUpdate(*charge)})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		reasons := canceled.CancellationReasons
		if len(reasons) == len(items) && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			return lead.ErrExists
		}
		if charge != nil && len(reasons) == len(items) && aws.ToString(reasons[2].Code) == "ConditionalCheckFailed" {
			return ratelimit.ErrLimited
		}
	}
	if err != nil {
		return fmt.Errorf("hold request %s: %w", h.ID, err)
	}
	return nil
}

// HeldCount is how many requests were held on day (the clinic's date).
func (s *Store) HeldCount(ctx context.Context, day string) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      pk(heldCountKey(day)),
		ProjectionExpression:     aws.String("#n"),
		ExpressionAttributeNames: map[string]string{"#n": attrHits},
	})
	if err != nil {
		return 0, fmt.Errorf("count held requests of %s: %w", day, err)
	}
	n, ok := out.Item[attrHits].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	c, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, fmt.Errorf("count held requests of %s: %w", day, err)
	}
	return c, nil
}

// GetHeld returns the held request id, or lead.ErrNotFound if there is
// none (released, deleted) or its hold ended at now.
func (s *Store) GetHeld(ctx context.Context, id string, now time.Time) (lead.Held, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            pk(heldKey(id)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return lead.Held{}, fmt.Errorf("get held request %s: %w", id, err)
	}
	if out.Item == nil {
		return lead.Held{}, lead.ErrNotFound
	}
	h, err := decodeHeld(out.Item)
	if err != nil {
		return lead.Held{}, err
	}
	if !h.ExpiresAt.After(now) {
		return lead.Held{}, lead.ErrNotFound
	}
	return h, nil
}

// HeldList yields the held requests newest first, those before (before,
// beforeID) in (time, id) order only when before is set, page by page;
// those whose hold ended at now are skipped.
func (s *Store) HeldList(ctx context.Context, before time.Time, beforeID string, now time.Time) iter.Seq2[lead.Held, error] {
	return func(yield func(lead.Held, error) bool) {
		to := ""
		if !before.IsZero() {
			to = heldListAt(before, beforeID)
		}
		in := s.queryInput(partition{ListIndex, attrList, listHeld, attrListAt}, "", to, true)
		pages := dynamodb.NewQueryPaginator(s.db, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(lead.Held{}, fmt.Errorf("query held requests: %w", err))
				return
			}
			for _, item := range page.Items {
				h, err := decodeHeld(item)
				if err != nil {
					if !yield(lead.Held{}, err) {
						return
					}
					continue
				}
				if h.Status != lead.StatusHeld || !h.ExpiresAt.After(now) {
					continue
				}
				if !yield(h, nil) {
					return
				}
			}
		}
	}
}

// ReleaseHeld makes the held request l.ID the new lead l (Held.Release)
// and deletes it, in one transaction: the lead's put is the stream's
// INSERT that alerts the clinic, once. lead.ErrExists: a lead with that id
// is already stored; lead.ErrNotFound: the held request is gone (released
// or deleted meanwhile) or its hold ended at now. Either way nothing
// changed.
func (s *Store) ReleaseHeld(ctx context.Context, l lead.Lead, now time.Time) error {
	item, err := attributevalue.MarshalMap(toItem(l))
	if err != nil {
		return fmt.Errorf("release held request %s: marshal: %w", l.ID, err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		// The delete comes first: an emulator that stops at the first
		// failed condition then still reports a gone request as one.
		TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{
				ConditionExpression:       aws.String("attribute_exists(#pk) AND #exp > :now"),
				ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExpires},
				ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.Unix())},
				TableName:                 aws.String(s.table),
				Key:                       pk(heldKey(l.ID)),
			}},
			{Put: &types.Put{
				ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: map[string]string{"#pk": attrPK},
				TableName:                aws.String(s.table),
				Item:                     item,
			}},
		},
	})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		reasons := canceled.CancellationReasons
		if len(reasons) == 2 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			return lead.ErrNotFound
		}
		if len(reasons) == 2 && aws.ToString(reasons[1].Code) == "ConditionalCheckFailed" {
			return lead.ErrExists
		}
	}
	if err != nil {
		return fmt.Errorf("release held request %s: %w", l.ID, err)
	}
	return nil
}

// DeleteHeld deletes the held request id: lead.ErrNotFound if it is gone.
func (s *Store) DeleteHeld(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		TableName:                aws.String(s.table),
		Key:                      pk(heldKey(id)),
	})
	if _, failed := conditionFailed(err); failed {
		return lead.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete held request %s: %w", id, err)
	}
	return nil
}
