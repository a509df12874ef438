package ddb

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// The contact index (internal/patient): one item per lead and key of its
// contacts, "contact#<key>#<lead id>" (kind "contact", never "lead", so the
// stream's filter keeps it from notify), listed in ListIndex under
// "contact#<key>" by "<createdAt>#<lead id>", so a patient's requests are
// one Query, newest first, never a Scan. It holds the key and the lead's
// id, never a contact, and expires with its lead (the lead's expiresAt):
// access and erasure find every request stored, and recognition looks back
// only as far as it asks (since).

const (
	kindContact = "contact"
	attrLead    = "lead"            // the lead an index entry points to
	attrKeys    = "contactKeys"     // a lead's keys, a string set
	attrEarlier = "earlier"         // a lead's earlier requests' ids, a list
	attrNewer   = "newer"           // a lead's newest later request's id
	listContact = kindContact + "#" // + the key
	maxIndexed  = 100 - 1           // TransactWriteItems' 100 parts, less the lead's update
)

func contactList(k patient.Key) string           { return listContact + string(k) }
func contactKey(k patient.Key, id string) string { return listContact + string(k) + "#" + id }

// IndexContacts records keys on the lead l.ID (its contactKeys, a string
// set) and puts one index entry per key, with l's createdAt and expiresAt
// (the stream image's, which are the stored lead's: neither ever changes).
//
// One transaction: the lead's update (only while it is stored) and the
// entries' puts (only of entries not yet there), so an erase between them
// never leaves an entry behind and a lead's keys always have their
// entries. The update moves the lead's version on, as every writer of a
// lead does, so a staff change read before it (Progress puts the whole
// lead) is refused rather than dropping the keys. A replay (a redelivered
// stream record) finds the entries there: the transaction is refused and
// nothing changes; a key already indexed is dropped and the rest tried
// again. A lead that is gone is lead.ErrNotFound; no keys, nothing to do.
func (s *Store) IndexContacts(ctx context.Context, l lead.Lead, keys []patient.Key) error {
	// A transaction may not name one item twice.
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	switch {
	case len(keys) > maxIndexed:
		return fmt.Errorf("index contacts of lead %s: %d keys, at most %d", l.ID, len(keys), maxIndexed)
	case len(keys) > 0 && (l.CreatedAt.IsZero() || l.ExpiresAt.IsZero()):
		return fmt.Errorf("index contacts of lead %s: its createdAt and expiresAt are needed", l.ID)
	}
	for len(keys) > 0 {
		indexed, err := s.indexContacts(ctx, l, keys)
		if err != nil || indexed == nil {
			return err
		}
		keys = slices.DeleteFunc(keys, func(k patient.Key) bool { return slices.Contains(indexed, k) })
	}
	return nil
}

// indexContacts is one try of IndexContacts: nil when done, else the keys
// found indexed already (an emulator may name only the first).
func (s *Store) indexContacts(ctx context.Context, l lead.Lead, keys []patient.Key) ([]patient.Key, error) {
	set := make([]string, 0, len(keys))
	for _, k := range keys {
		set = append(set, string(k))
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		UpdateExpression:         aws.String("ADD #keys :keys, #version :one"),
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#keys": attrKeys, "#version": attrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":keys": &types.AttributeValueMemberSS{Value: set}, ":one": num(1),
		},
		TableName: aws.String(s.table),
		Key:       pk(leadKey(l.ID)),
	}}}
	for _, k := range keys {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
			TableName:                aws.String(s.table),
			Item: map[string]types.AttributeValue{
				attrPK:      str(contactKey(k, l.ID)),
				attrKind:    str(kindContact),
				attrList:    str(contactList(k)),
				attrListAt:  str(stamp(l.CreatedAt) + "#" + l.ID), // by time, then id, as the held list
				attrLead:    str(l.ID),
				attrCreated: str(stamp(l.CreatedAt)),
				attrExpires: num(l.ExpiresAt.Unix()),
			},
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) == len(items) {
		reasons := canceled.CancellationReasons
		if aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			return nil, lead.ErrNotFound
		}
		var indexed []patient.Key
		for i, r := range reasons[1:] {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				indexed = append(indexed, keys[i])
			}
		}
		if len(indexed) > 0 {
			return indexed, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("index contacts of lead %s: %w", l.ID, err)
	}
	return nil, nil
}

// stored reads the stored lead id whatever its expiry: lead.ErrNotFound only
// when there is no item.
func (s *Store) stored(ctx context.Context, id string) (lead.Lead, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            pk(leadKey(id)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return lead.Lead{}, fmt.Errorf("get lead %s: %w", id, err)
	}
	if out.Item == nil {
		return lead.Lead{}, lead.ErrNotFound
	}
	l, err := decodeLead(out.Item)
	if err != nil {
		return lead.Lead{}, fmt.Errorf("get lead %s: %w", id, err)
	}
	return l, nil
}

// ContactRequests yields the requests indexed under k created at or after
// since (the zero time: all), newest first, page by page; entries whose
// lead's retention ended at now are skipped (TTL deletes them within days).
func (s *Store) ContactRequests(ctx context.Context, k patient.Key, since, now time.Time) iter.Seq2[patient.Ref, error] {
	return func(yield func(patient.Ref, error) bool) {
		for item, err := range s.entries(ctx, k, stampUp(since)) {
			if err != nil {
				yield(patient.Ref{}, err)
				return
			}
			e, err := decodeEntry(item)
			if err != nil {
				if !yield(patient.Ref{}, err) {
					return
				}
				continue
			}
			if !e.expires.After(now) || e.ref.CreatedAt.Before(since) {
				continue
			}
			if !yield(e.ref, nil) {
				return
			}
		}
	}
}

// entries yields the index entries under k whose listAt is from or after
// from ("": all), newest first, page by page.
func (s *Store) entries(ctx context.Context, k patient.Key, from string) iter.Seq2[map[string]types.AttributeValue, error] {
	return func(yield func(map[string]types.AttributeValue, error) bool) {
		in := s.queryInput(partition{ListIndex, attrList, contactList(k), attrListAt}, from, "", true)
		pages := dynamodb.NewQueryPaginator(s.db, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(nil, fmt.Errorf("query the contact index: %w", err))
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
		}
	}
}

type entry struct {
	pk      string
	ref     patient.Ref
	expires time.Time
}

func decodeEntry(item map[string]types.AttributeValue) (entry, error) {
	var e entry
	p, _ := item[attrPK].(*types.AttributeValueMemberS)
	id, _ := item[attrLead].(*types.AttributeValueMemberS)
	created, _ := item[attrCreated].(*types.AttributeValueMemberS)
	exp, _ := item[attrExpires].(*types.AttributeValueMemberN)
	if p == nil || id == nil || created == nil || exp == nil {
		return e, errors.New("contact index entry: an attribute is missing")
	}
	at, err := unstamp(created.Value)
	if err != nil {
		return e, fmt.Errorf("contact index entry: createdAt: %w", err)
	}
	sec, err := strconv.ParseInt(exp.Value, 10, 64)
	if err != nil {
		return e, fmt.Errorf("contact index entry: expiresAt: %w", err)
	}
	return entry{pk: p.Value, ref: patient.Ref{ID: id.Value, CreatedAt: at}, expires: time.Unix(sec, 0).UTC()}, nil
}

// LinkEarlier records earlier (ids, newest first) on lead id, and id as the
// newest later request on each earlier lead still stored (one that is gone
// is skipped). Each is its own conditional update, which moves that lead's
// version on (a staff change read before is refused, as after MarkAlerted);
// no transaction: an earlier lead erased meanwhile must not undo the rest,
// and a retry (a replayed stream record) writes the same again. A lead id
// that is gone is lead.ErrNotFound.
func (s *Store) LinkEarlier(ctx context.Context, id string, earlier []string) error {
	names := map[string]string{"#pk": attrPK, "#e": attrEarlier, "#version": attrVersion}
	values := map[string]types.AttributeValue{":one": num(1)}
	update := "REMOVE #e ADD #version :one"
	if len(earlier) > 0 {
		list := make([]types.AttributeValue, 0, len(earlier))
		for _, e := range earlier {
			list = append(list, str(e))
		}
		values[":e"] = &types.AttributeValueMemberL{Value: list}
		update = "SET #e = :e ADD #version :one"
	}
	if err := s.linkUpdate(ctx, id, update, names, values); err != nil {
		if errors.Is(err, lead.ErrNotFound) {
			return err
		}
		return fmt.Errorf("link lead %s to its earlier requests: %w", id, err)
	}
	for _, e := range earlier {
		err := s.linkUpdate(ctx, e, "SET #n = :n ADD #version :one",
			map[string]string{"#pk": attrPK, "#n": attrNewer, "#version": attrVersion},
			map[string]types.AttributeValue{":n": str(id), ":one": num(1)})
		if err != nil && !errors.Is(err, lead.ErrNotFound) {
			return fmt.Errorf("link lead %s to its newer request: %w", e, err)
		}
	}
	return nil
}

func (s *Store) linkUpdate(ctx context.Context, id, update string, names map[string]string, values map[string]types.AttributeValue) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		TableName:                 aws.String(s.table),
		Key:                       pk(leadKey(id)),
	})
	if _, failed := conditionFailed(err); failed {
		return lead.ErrNotFound
	}
	return err
}

// Erase deletes what e names: every index entry under each of e.Keys (all
// pages, however old), each lead of e.Leads with the entries of its own
// contactKeys (read first: a key under a link-secret version no longer
// held is in no e.Keys), and each held request of e.Held. Each item is its
// own conditional delete, counted when it was there, so an item already
// gone (a second erase, TTL) is no error and not counted; no
// BatchWriteItem, which has no conditions to count by. The lead goes last
// of its own items: an erase cut short and run again still finds its keys.
func (s *Store) Erase(ctx context.Context, e patient.Erasure) (int, error) {
	n := 0
	del := func(key string) error {
		gone, err := s.deleteIfThere(ctx, key)
		if gone {
			n++
		}
		return err
	}
	for _, k := range e.Keys {
		var keys []string
		for item, err := range s.entries(ctx, k, "") {
			if err != nil {
				return n, fmt.Errorf("erase: %w", err)
			}
			if p, ok := item[attrPK].(*types.AttributeValueMemberS); ok {
				keys = append(keys, p.Value)
			}
		}
		for _, key := range keys {
			if err := del(key); err != nil {
				return n, err
			}
		}
	}
	for _, id := range e.Leads {
		l, err := s.stored(ctx, id)
		if errors.Is(err, lead.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("erase: %w", err)
		}
		for _, k := range l.ContactKeys {
			if err := del(contactKey(patient.Key(k), id)); err != nil {
				return n, err
			}
		}
		if err := del(leadKey(id)); err != nil {
			return n, err
		}
	}
	for _, id := range e.Held {
		if err := del(heldKey(id)); err != nil {
			return n, err
		}
	}
	return n, nil
}

// deleteIfThere deletes the item key, reporting whether there was one.
func (s *Store) deleteIfThere(ctx context.Context, key string) (bool, error) {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		TableName:                aws.String(s.table),
		Key:                      pk(key),
	})
	if _, failed := conditionFailed(err); failed {
		return false, nil
	}
	if err != nil {
		// The key names a kind and an id, or a keyed hash: no personal data.
		return false, fmt.Errorf("erase %s: %w", key, err)
	}
	return true, nil
}
