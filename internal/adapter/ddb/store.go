// Package ddb keeps leads, rate counters, run markers, staff sessions,
// sign-in codes and the audit trail in one DynamoDB table.
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

	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	// Scan is for the terminal's tools only (ScanLeads): no function scans,
	// and no function's policy allows it.
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Store keeps leads in table.
type Store struct {
	db    API
	table string
	// pageSize caps each GSI page, so the follow-up's memory stays flat
	// whatever the items weigh and whatever the server's own page limit is
	// (tests lower it to see paging work).
	pageSize int32
}

// listPageSize is the query page of the inbox's lists: a page of rows and
// the one after it, so a page of the inbox is mostly one query a list.
const listPageSize = inbox.PageSize + 1

// defaultPageSize is about 250 kB of leads a page: a few hundred pages for
// the largest backlog, each one round trip.
const defaultPageSize = 500

// New returns a store on table through db.
func New(db API, table string) *Store {
	return &Store{db: db, table: table, pageSize: defaultPageSize}
}

// counterSlack keeps a rate counter a little past its window, so TTL never
// deletes one that is still being charged.
const counterSlack = time.Minute

// Save stores a new lead, never overwriting one with the same id
// (lead.ErrExists). With a charge, the client's counter is charged in the
// same transaction: over the limit, nothing is stored (ratelimit.ErrLimited).
// A replay is reported as lead.ErrExists even when the client is over its
// limit, so a retried request still learns its id.
func (s *Store) Save(ctx context.Context, l lead.Lead, charge *ratelimit.Charge) error {
	item, err := attributevalue.MarshalMap(toItem(l))
	if err != nil {
		return fmt.Errorf("save lead %s: marshal: %w", l.ID, err)
	}
	put := &types.Put{
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		TableName:                aws.String(s.table),
		Item:                     item,
	}
	if charge == nil {
		_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                put.TableName,
			Item:                     put.Item,
			ConditionExpression:      put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames,
		})
		if _, failed := conditionFailed(err); failed {
			return lead.ErrExists
		}
		if err != nil {
			return fmt.Errorf("save lead %s: %w", l.ID, err)
		}
		return nil
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		// The put comes first: an emulator that stops at the first failed
		// condition then still reports a replay as one.
		TransactItems: []types.TransactWriteItem{
			{Put: put},
			{Update: s.chargeUpdate(*charge)},
		},
	})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		reasons := canceled.CancellationReasons
		if len(reasons) == 2 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			return lead.ErrExists
		}
		if len(reasons) == 2 && aws.ToString(reasons[1].Code) == "ConditionalCheckFailed" {
			return ratelimit.ErrLimited
		}
	}
	if err != nil {
		return fmt.Errorf("save lead %s: %w", l.ID, err)
	}
	return nil
}

// Charge counts one request against a client's window without storing a
// lead (a trapped bot's): ratelimit.ErrLimited when over.
func (s *Store) Charge(ctx context.Context, c ratelimit.Charge) error {
	u := s.chargeUpdate(c)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 u.TableName,
		Key:                       u.Key,
		UpdateExpression:          u.UpdateExpression,
		ConditionExpression:       u.ConditionExpression,
		ExpressionAttributeNames:  u.ExpressionAttributeNames,
		ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	if _, failed := conditionFailed(err); failed {
		return ratelimit.ErrLimited
	}
	if err != nil {
		return fmt.Errorf("charge rate counter: %w", err)
	}
	return nil
}

// Refund takes back one charge of c's window (a request that used none of
// what it was counted for, such as an alert that failed and will be
// retried); a counter at 0, or gone, stays as it is.
func (s *Store) Refund(ctx context.Context, c ratelimit.Charge) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String("ADD #hits :minus"),
		ConditionExpression:       aws.String("#hits > :zero"),
		ExpressionAttributeNames:  map[string]string{"#hits": attrHits},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(-1), ":zero": num(0)},
		TableName:                 aws.String(s.table),
		Key:                       pk(rateKey(c.Key)),
	})
	if _, failed := conditionFailed(err); err != nil && !failed {
		return fmt.Errorf("refund rate counter: %w", err)
	}
	return nil
}

func (s *Store) chargeUpdate(c ratelimit.Charge) *types.Update {
	return &types.Update{
		UpdateExpression:         aws.String("SET #kind = :kind, #exp = if_not_exists(#exp, :exp) ADD #hits :one"),
		ConditionExpression:      aws.String("attribute_not_exists(#hits) OR #hits < :limit"),
		ExpressionAttributeNames: map[string]string{"#kind": attrKind, "#exp": attrExpires, "#hits": attrHits},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": str(kindRate), ":exp": num(c.Until.Add(counterSlack).Unix()), ":one": num(1), ":limit": num(int64(c.Limit)),
		},
		TableName: aws.String(s.table),
		Key:       pk(rateKey(c.Key)),
	}
}

// MarkAlerted records that the clinic's alert about lead id went out. It
// never overwrites an earlier record (lead.ErrAlreadySent), and never
// creates a lead that is gone (lead.ErrNotFound).
func (s *Store) MarkAlerted(ctx context.Context, id string, d lead.Delivery) error {
	return s.markSent(ctx, id, attrAlertedAt, attrAlertID, d)
}

// MarkAcknowledged records that the visitor's acknowledgement went out, as
// MarkAlerted does for the alert.
func (s *Store) MarkAcknowledged(ctx context.Context, id string, d lead.Delivery) error {
	return s.markSent(ctx, id, attrAckedAt, attrAckID, d)
}

// MarkTexted records that the text to the patient (PATIENT_SMS) went out,
// as MarkAlerted does for the alert.
func (s *Store) MarkTexted(ctx context.Context, id string, d lead.Delivery) error {
	return s.markSent(ctx, id, attrTextedAt, attrTextID, d)
}

// MarkAlertHeld records that notify held lead id's alert back at at, the
// clinic-wide ALERT_LIMIT being used up: once (lead.ErrAlreadySent), never
// for a lead already alerted, and never creating a lead that is gone
// (lead.ErrNotFound).
func (s *Store) MarkAlertHeld(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("SET #held = :at, #version = if_not_exists(#version, :zero) + :one"),
		ConditionExpression:      aws.String("attribute_exists(#pk) AND attribute_not_exists(#held) AND attribute_not_exists(#alerted)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#held": attrAlertHeld, "#alerted": attrAlertedAt, "#version": attrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": str(stamp(at)), ":zero": num(0), ":one": num(1),
		},
		TableName:                           aws.String(s.table),
		Key:                                 pk(leadKey(id)),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		if old == nil {
			return lead.ErrNotFound
		}
		return lead.ErrAlreadySent
	}
	if err != nil {
		return fmt.Errorf("record alert of lead %s held back: %w", id, err)
	}
	return nil
}

// MarkNudged records that the response guard's nudge about the lead went
// out, as MarkAlerted does for the alert: a redelivered schedule finds it.
func (s *Store) MarkNudged(ctx context.Context, id string, d lead.Delivery) error {
	return s.markSent(ctx, id, attrNudgedAt, attrNudgeID, d)
}

func (s *Store) markSent(ctx context.Context, id, atAttr, idAttr string, d lead.Delivery) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		// The version moves on, so a staff change read before this one is
		// not put over it (Progress).
		UpdateExpression:         aws.String("SET #at = :at, #id = :id, #version = if_not_exists(#version, :zero) + :one"),
		ConditionExpression:      aws.String("attribute_exists(#pk) AND attribute_not_exists(#at)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#at": atAttr, "#id": idAttr, "#version": attrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": str(stamp(d.At)), ":id": str(d.MessageID), ":zero": num(0), ":one": num(1),
		},
		TableName:                           aws.String(s.table),
		Key:                                 pk(leadKey(id)),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		if old == nil {
			return lead.ErrNotFound
		}
		return lead.ErrAlreadySent
	}
	if err != nil {
		return fmt.Errorf("record %s of lead %s: %w", atAttr, id, err)
	}
	return nil
}

// RecordAlertOutcome records what SES reported about lead id's alert, as
// lead.Delivery.Apply does: only for the message recorded as its alert,
// each fact once, never undone, and the version moves on. A lead that is
// not stored is lead.ErrNotFound (nothing is created); an event that
// changes nothing is lead.ErrMailNoChange.
func (s *Store) RecordAlertOutcome(ctx context.Context, id string, o lead.MailOutcome) error {
	names := map[string]string{"#pk": attrPK, "#mid": attrAlertID, "#version": attrVersion}
	values := map[string]types.AttributeValue{":mid": str(o.MessageID), ":at": str(stamp(o.At)), ":zero": num(0), ":one": num(1)}
	const bump = ", #version = if_not_exists(#version, :zero) + :one"
	var update, cond string
	switch {
	case o.At.IsZero():
		return lead.ErrMailNoChange
	case o.Event == lead.MailDelivered:
		names["#d"] = attrAlertDelivered
		update, cond = "SET #d = :at"+bump, "attribute_not_exists(#d)"
	case o.Event == lead.MailDelayed:
		names["#d"], names["#p"], names["#pat"] = attrAlertDelivered, attrAlertProblem, attrAlertProblemAt
		values[":p"] = str(string(o.Event))
		update, cond = "SET #p = :p, #pat = :at"+bump, "attribute_not_exists(#d) AND attribute_not_exists(#p)"
	case o.Event.Problem():
		names["#p"], names["#pat"], names["#bt"], names["#bst"] = attrAlertProblem, attrAlertProblemAt, attrAlertBounce, attrAlertBounceSub
		values[":p"], values[":delayed"] = str(string(o.Event)), str(string(lead.MailDelayed))
		// A delay, the only problem replaced, has no bounce type to clear.
		update, cond = "SET #p = :p, #pat = :at", "(attribute_not_exists(#p) OR #p = :delayed)"
		for _, f := range []struct{ name, v string }{{"bt", o.BounceType}, {"bst", o.BounceSubType}} {
			if f.v != "" {
				values[":"+f.name] = str(f.v)
				update += ", #" + f.name + " = :" + f.name
			} else {
				delete(names, "#"+f.name)
			}
		}
		update += bump
	default:
		return lead.ErrMailNoChange
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String("attribute_exists(#pk) AND #mid = :mid AND " + cond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		TableName:                           aws.String(s.table),
		Key:                                 pk(leadKey(id)),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		if old == nil {
			return lead.ErrNotFound
		}
		return lead.ErrMailNoChange
	}
	if err != nil {
		return fmt.Errorf("record alert %s of lead %s: %w", o.Event, id, err)
	}
	return nil
}

// Progress writes l, as lead.Record, Correct or Reopen (or a digest that
// reported it) left it, over the stored lead, if that is still at l.Version
// and its retention has not ended at now. It stores version l.Version+1 and
// returns the lead as stored. A lead changed since l was read is
// lead.ErrChanged, with the lead as it is; a missing or expired one is
// lead.ErrNotFound.
//
// The whole item is put: every other writer of a lead (MarkAlerted,
// MarkAcknowledged, MarkTexted, IndexContacts, LinkEarlier) moves its
// version on too, so nothing it wrote is lost (a returning patient's
// contactKeys, earlier and newer among them), and attributes l no longer
// has (pending, a past call-back, the previous version's contact record)
// go with no REMOVE, which make dev's minidyn ignores.
func (s *Store) Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error) {
	next := l
	next.Version++
	item, err := attributevalue.MarshalMap(toItem(next))
	if err != nil {
		return lead.Lead{}, fmt.Errorf("progress lead %s: marshal: %w", l.ID, err)
	}
	names := map[string]string{"#pk": attrPK, "#exp": attrExpires, "#version": attrVersion}
	values := map[string]types.AttributeValue{":now": num(now.Unix())}
	cond := "attribute_exists(#pk) AND #exp > :now AND attribute_not_exists(#version)"
	if l.Version > 0 {
		cond = "attribute_exists(#pk) AND #exp > :now AND #version = :version"
		values[":version"] = num(int64(l.Version))
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		TableName:                 aws.String(s.table),
		Item:                      item,
	})
	if _, failed := conditionFailed(err); failed {
		// Gone, expired, or changed: the lead as it is now says which.
		cur, err := s.Get(ctx, l.ID, now)
		if err != nil {
			return lead.Lead{}, err
		}
		return cur, lead.ErrChanged
	}
	if err != nil {
		return lead.Lead{}, fmt.Errorf("progress lead %s: %w", l.ID, err)
	}
	return next, nil
}

// ClaimRun claims the scheduled run named key (such as "digest#2026-11-27")
// at now: lead.ErrRunTaken if it is done, or claimed less than lease ago by
// an invocation that may still be working. The marker is kept for keep.
func (s *Store) ClaimRun(ctx context.Context, key string, now time.Time, lease, keep time.Duration) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR (#state = :claimed AND #claimedAt < :stale)"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#state": "state", "#claimedAt": "claimedAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":claimed": str("claimed"), ":stale": num(now.Add(-lease).Unix())},
		TableName:                 aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrPK:      str(runKey(key)),
			attrKind:    str(kindRun),
			"state":     str("claimed"),
			"claimedAt": num(now.Unix()),
			attrExpires: num(now.Add(keep).Unix()),
		},
	})
	if _, failed := conditionFailed(err); failed {
		return lead.ErrRunTaken
	}
	if err != nil {
		return fmt.Errorf("claim run %s: %w", key, err)
	}
	return nil
}

// FinishRun records that the claimed run key is done.
func (s *Store) FinishRun(ctx context.Context, key string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String("SET #state = :done"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": str("done")},
		TableName:                 aws.String(s.table),
		Key:                       pk(runKey(key)),
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", key, err)
	}
	return nil
}

// ReleaseRun gives up a claimed run that failed, so a retry may claim it.
func (s *Store) ReleaseRun(ctx context.Context, key string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		ConditionExpression:       aws.String("#state = :claimed"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":claimed": str("claimed")},
		TableName:                 aws.String(s.table),
		Key:                       pk(runKey(key)),
	})
	if _, failed := conditionFailed(err); err != nil && !failed {
		return fmt.Errorf("release run %s: %w", key, err)
	}
	return nil
}

// RunDone is whether the run key was finished (FinishRun): false while it
// is claimed, after a release, or if it was never claimed.
func (s *Store) RunDone(ctx context.Context, key string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      pk(runKey(key)),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#state"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
	})
	if err != nil {
		return false, fmt.Errorf("read run %s: %w", key, err)
	}
	state, _ := out.Item["state"].(*types.AttributeValueMemberS)
	return state != nil && state.Value == "done", nil
}

// Get returns the lead with id, or lead.ErrNotFound if there is none or its
// retention has ended (TTL deletion can lag by days).
func (s *Store) Get(ctx context.Context, id string, now time.Time) (lead.Lead, error) {
	l, err := s.stored(ctx, id)
	if err != nil {
		return lead.Lead{}, err
	}
	if !l.ExpiresAt.After(now) {
		return lead.Lead{}, lead.ErrNotFound
	}
	return l, nil
}

// Pending yields the leads still new that were created before cutoff, oldest
// first, reading the sparse GSI page by page. Expired leads are skipped.
func (s *Store) Pending(ctx context.Context, cutoff, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.query(ctx, "pending leads", pendingList, "", stampUp(cutoff), false, now,
		func(l lead.Lead) bool { return l.Status == lead.StatusNew })
}

// Due yields the open leads whose call-back is due before before, soonest
// first.
func (s *Store) Due(ctx context.Context, before, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.query(ctx, "due call-backs", callbackList, "", stampUp(before), false, now,
		func(l lead.Lead) bool { return l.Status == lead.StatusOpen && l.Callback.Before(before) })
}

// Unreported yields the leads closed as unreachable that no digest has
// reported yet, oldest first (a digest clears Unreported through Progress).
func (s *Store) Unreported(ctx context.Context, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.query(ctx, "unreported leads", partition{QueueIndex, attrQueue, queueReport, attrQueueAt}, "", "", false, now,
		func(l lead.Lead) bool { return l.Unreported })
}

// partition is one ordered list of a sparse GSI: the items whose hash key
// is value, in the order of their sort key.
type partition struct{ index, hash, value, sort string }

// The inbox's lists.
var (
	pendingList  = partition{PendingIndex, attrPending, pendingValue, attrCreated}
	callbackList = partition{QueueIndex, attrQueue, queueCallback, attrQueueAt}
	closedList   = partition{ListIndex, attrList, listClosed, attrListAt}
)

// List yields the leads of an inbox list whose time in it (inbox.At) is in
// span, in its order (latest first when span.Newest), page by page. New
// reads the pending index, Callback the queue index, Closed the list index.
func (s *Store) List(ctx context.Context, list inbox.List, span inbox.Span, now time.Time) iter.Seq2[lead.Lead, error] {
	var p partition
	var status lead.Status
	switch list {
	case inbox.New:
		p, status = pendingList, lead.StatusNew
	case inbox.Callback:
		p, status = callbackList, lead.StatusOpen
	case inbox.Closed:
		p, status = closedList, lead.StatusClosed
	default:
		return func(yield func(lead.Lead, error) bool) {
			yield(lead.Lead{}, fmt.Errorf("list %q: no such list", list))
		}
	}
	if !span.To.IsZero() && !span.To.After(span.From) {
		return func(func(lead.Lead, error) bool) {} // an empty span: BETWEEN would refuse it
	}
	// An inbox page lists PageSize rows: query pages of about that many
	// leads, not the follow-up's 500, read no more than it shows.
	small := *s
	if small.pageSize <= 0 || small.pageSize > listPageSize {
		small.pageSize = listPageSize
	}
	return small.query(ctx, string(list)+" leads", p, stamp(span.From), stampUp(span.To), span.Newest, now,
		func(l lead.Lead) bool {
			at := inbox.At(list, l)
			return l.Status == status && !at.IsZero() && !at.Before(span.From) && (span.To.IsZero() || at.Before(span.To))
		})
}

// query yields the leads of a sparse GSI's partition p whose sort key is
// from or after (from "": from the start) and before to (to "": no end),
// in order (newest: latest first), page by page, so memory stays flat.
// keep drops what the index still lists but the lead no longer is (a GSI
// lags its table), and must check the end too: with both bounds the key
// condition is BETWEEN, which includes to. Expired leads wait for TTL's
// deletion and are skipped.
func (s *Store) query(ctx context.Context, what string, p partition, from, to string, newest bool, now time.Time, keep func(lead.Lead) bool) iter.Seq2[lead.Lead, error] {
	return func(yield func(lead.Lead, error) bool) {
		in := s.queryInput(p, from, to, newest)
		pages := dynamodb.NewQueryPaginator(s.db, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(lead.Lead{}, fmt.Errorf("query %s: %w", what, err))
				return
			}
			for _, item := range page.Items {
				l, err := decodeLead(item)
				if err != nil {
					if !yield(lead.Lead{}, err) {
						return
					}
					continue
				}
				if !keep(l) || !l.ExpiresAt.After(now) {
					continue
				}
				if !yield(l, nil) {
					return
				}
			}
		}
	}
}

// queryInput is the query of partition p between from (included) and to
// (excluded, unless both are set: BETWEEN includes it), "" for no bound.
func (s *Store) queryInput(p partition, from, to string, newest bool) *dynamodb.QueryInput {
	cond := "#h = :h"
	names := map[string]string{"#h": p.hash, "#s": p.sort}
	values := map[string]types.AttributeValue{":h": str(p.value)}
	switch {
	case from != "" && to != "":
		cond += " AND #s BETWEEN :from AND :to"
		values[":from"], values[":to"] = str(from), str(to)
	case from != "":
		cond += " AND #s >= :from"
		values[":from"] = str(from)
	case to != "":
		cond += " AND #s < :to"
		values[":to"] = str(to)
	default:
		delete(names, "#s") // DynamoDB refuses a name no expression uses
	}
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(p.index),
		ScanIndexForward:          aws.Bool(!newest),
	}
	if s.pageSize > 0 {
		in.Limit = aws.Int32(s.pageSize)
	}
	return in
}

// decodeLead reads a stored lead item; the stream handler reuses it on
// stream images.
func decodeLead(item map[string]types.AttributeValue) (lead.Lead, error) {
	var it leadItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return lead.Lead{}, fmt.Errorf("decode lead: %w", err)
	}
	return it.lead()
}

// str, num and pk spell attribute values short, so that each request's
// expressions are what its lines show first.
func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// pk is the key of the item whose partition key is v (leadKey, rateKey,
// runKey).
func pk(v string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(v)}
}

// conditionFailed reports whether err is a failed condition, with the item
// as it was when the request asked for it (nil if there was none).
func conditionFailed(err error) (old map[string]types.AttributeValue, failed bool) {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, false
	}
	return ccf.Item, true
}
