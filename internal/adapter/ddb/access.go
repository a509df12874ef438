package ddb

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/access"
)

// Sessions, sign-in codes and audit entries live in the leads table beside
// the leads, each under its own key prefix and kind (never "lead", so the
// stream's filter keeps them from notify), each expiring by TTL. Their
// expiry (expiresAt) is kept to the second, as a lead's is.

// sessionItem is a session as stored.
type sessionItem struct {
	PK    string `dynamodbav:"pk"`
	Kind  string `dynamodbav:"kind"`
	Email string `dynamodbav:"email,omitempty"`
	// Leads are the scopes of a session from emailed links, as 1.0.x
	// reads them (so a version rolled back still opens them), and Ends
	// each one's end in epoch seconds. A 1.0.x item has no Ends: each of
	// its scopes ends with the session.
	Leads     []string         `dynamodbav:"leads,stringset,omitempty"`
	Ends      map[string]int64 `dynamodbav:"ends,omitempty"`
	CreatedAt string           `dynamodbav:"createdAt"`
	ExpiresAt int64            `dynamodbav:"expiresAt"`
	List      string           `dynamodbav:"list,omitempty"`
	ListAt    string           `dynamodbav:"listAt,omitempty"`
}

func (it sessionItem) session(hash string) (access.Session, error) {
	created, err := unstamp(it.CreatedAt)
	if err != nil {
		return access.Session{}, fmt.Errorf("session: createdAt: %w", err)
	}
	sess := access.Session{Hash: hash, Email: it.Email, Created: created, Expires: time.Unix(it.ExpiresAt, 0).UTC()}
	for _, sc := range it.Leads {
		if sess.Scopes == nil {
			sess.Scopes = map[string]time.Time{}
		}
		sess.Scopes[sc] = sess.Expires
		if end, ok := it.Ends[sc]; ok {
			sess.Scopes[sc] = time.Unix(end, 0).UTC()
		}
	}
	return sess, nil
}

// linksEndedKey is the item saying when sessions from emailed links were
// last all ended (EndLinkSessions). Under the sessions' prefix, which the
// staff function may read; a session's hash is hex, so never this.
var linksEndedKey = sessionKey("links-ended")

// attrLinksEnded is its time, as stamp writes it.
const attrLinksEnded = "endedAt"

// CreateSession stores a new session; it never overwrites one (an id
// taken is access.ErrNoSession, though 256 random bits never collide). A
// signed-in staff member's session is listed under their email, so
// EndSessions finds them all.
func (s *Store) CreateSession(ctx context.Context, sess access.Session) error {
	it := sessionItem{
		PK: sessionKey(sess.Hash), Kind: kindSession, Email: sess.Email,
		CreatedAt: stamp(sess.Created), ExpiresAt: sess.Expires.Unix(),
	}
	for sc, end := range sess.Scopes {
		if it.Ends == nil {
			it.Ends = map[string]int64{}
		}
		it.Leads, it.Ends[sc] = append(it.Leads, sc), end.Unix()
	}
	slices.Sort(it.Leads)
	if sess.Email != "" {
		if sess.Created.IsZero() {
			// Its place in the list: DynamoDB refuses an empty index key.
			return fmt.Errorf("create session: no start time")
		}
		it.List, it.ListAt = listSessions+sess.Email, stamp(sess.Created)
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("create session: marshal: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		TableName:                aws.String(s.table),
		Item:                     item,
	})
	if _, failed := conditionFailed(err); failed {
		return access.ErrNoSession
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session with hash, or access.ErrNoSession if there is
// none, it ended at now (TTL deletion lags by days), or it is a session
// from emailed links started before EndLinkSessions last ended them.
func (s *Store) Session(ctx context.Context, hash string, now time.Time) (access.Session, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            pk(sessionKey(hash)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return access.Session{}, fmt.Errorf("get session: %w", err)
	}
	if out.Item == nil {
		return access.Session{}, access.ErrNoSession
	}
	var it sessionItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return access.Session{}, fmt.Errorf("get session: decode: %w", err)
	}
	sess, err := it.session(hash)
	if err != nil {
		return access.Session{}, err
	}
	if !sess.Expires.After(now) {
		return access.Session{}, access.ErrNoSession
	}
	if !sess.SignedIn() {
		ended, err := s.linksEnded(ctx)
		if err != nil {
			return access.Session{}, err
		}
		if sess.Created.Before(ended) {
			return access.Session{}, access.ErrNoSession
		}
	}
	return sess, nil
}

// linksEnded is when sessions from emailed links were last all ended;
// zero if never.
func (s *Store) linksEnded(ctx context.Context) (time.Time, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      pk(linksEndedKey),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#ended"),
		ExpressionAttributeNames: map[string]string{"#ended": attrLinksEnded},
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("get session: when link sessions ended: %w", err)
	}
	v, ok := out.Item[attrLinksEnded].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}, nil
	}
	t, err := unstamp(v.Value)
	if err != nil {
		return time.Time{}, fmt.Errorf("get session: when link sessions ended: %w", err)
	}
	return t, nil
}

// EndLinkSessions ends every session an emailed link started before
// before, 1.0.x items too: they are listed nowhere, so one item records
// the time (never moved back) and Session refuses those started earlier.
// It is kept access.LongestSession, past any such session's end.
func (s *Store) EndLinkSessions(ctx context.Context, before time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("SET #kind = :kind, #ended = :t, #exp = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(#ended) OR #ended < :t"),
		ExpressionAttributeNames: map[string]string{"#kind": attrKind, "#ended": attrLinksEnded, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": str(kindSession), ":t": str(stamp(before)), ":exp": num(before.Add(access.LongestSession).Unix()),
		},
		TableName: aws.String(s.table),
		Key:       pk(linksEndedKey),
	})
	if _, failed := conditionFailed(err); failed {
		return nil // a later time stands
	}
	if err != nil {
		return fmt.Errorf("end link sessions: %w", err)
	}
	return nil
}

// TouchSession moves the session's end to expires. A session that was
// ended (deleted) is never brought back: access.ErrNoSession.
func (s *Store) TouchSession(ctx context.Context, hash string, expires time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:          aws.String("SET #exp = :exp"),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":exp": num(expires.Unix())},
		TableName:                 aws.String(s.table),
		Key:                       pk(sessionKey(hash)),
	})
	if _, failed := conditionFailed(err); failed {
		return access.ErrNoSession
	}
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// EndSession deletes the session, if there is one.
func (s *Store) EndSession(ctx context.Context, hash string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: pk(sessionKey(hash))})
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions deletes every session email signed in with, found through the
// list index (a session begun a moment ago may not be listed yet: the index
// lags its table), and reports how many had not ended at now.
func (s *Store) EndSessions(ctx context.Context, email string, now time.Time) (int, error) {
	in := s.queryInput(partition{ListIndex, attrList, listSessions + email, attrListAt}, "", "", false)
	in.ProjectionExpression = aws.String("#pk, #exp")
	in.ExpressionAttributeNames["#pk"], in.ExpressionAttributeNames["#exp"] = attrPK, attrExpires
	// Every key first, then the deletes: the query's pages are not read
	// from under it.
	var keys []string
	going := 0
	pages := dynamodb.NewQueryPaginator(s.db, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("end sessions: query: %w", err)
		}
		for _, item := range page.Items {
			var it sessionItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return 0, fmt.Errorf("end sessions: decode: %w", err)
			}
			keys = append(keys, it.PK)
			if time.Unix(it.ExpiresAt, 0).After(now) {
				going++
			}
		}
	}
	for _, k := range keys {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: pk(k)}); err != nil {
			return 0, fmt.Errorf("end sessions: %w", err)
		}
	}
	return going, nil
}

// codeItem is a sign-in code as stored: one item per address and browser
// (codeKey). The email step puts it with send (true for a listed address,
// false for any other: the same item, the same call) and no digest; the
// stream hands an item with send true to notify, which makes the code,
// stores its digest and sets send false in one conditional update
// (ClaimCode), then emails it. An item 1.0.x stored, one per address, keyed by the
// address alone, is never read again: it ends by its TTL.
type codeItem struct {
	PK        string `dynamodbav:"pk"`
	Kind      string `dynamodbav:"kind"`
	Digest    string `dynamodbav:"digest,omitempty"`
	Send      bool   `dynamodbav:"send,omitempty"`
	Tries     int    `dynamodbav:"tries"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// attrSend is a code item's send: true while its code is owed.
const attrSend = "send"

func codeAttrs(c access.Code) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(codeItem{
		PK: codeKey(c.Email, c.Browser), Kind: kindCode, Digest: c.Digest, Send: c.Send, Tries: c.Tries, ExpiresAt: c.Expires.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("sign-in code: marshal: %w", err)
	}
	if !c.Send {
		// Present either way, so a listed address's item and an unlisted
		// one's are the same size: false, never absent.
		item[attrSend] = &types.AttributeValueMemberBOOL{Value: false}
	}
	return item, nil
}

// PutCode stores c, replacing the earlier code of its address and browser;
// other browsers' codes for the address stay.
func (s *Store) PutCode(ctx context.Context, c access.Code) error {
	item, err := codeAttrs(c)
	if err != nil {
		return fmt.Errorf("put %w", err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("put sign-in code: %w", err)
	}
	return nil
}

// CodeImage is the stream image of the item PutCode stores for c, as the
// table's stream hands it to notify: for make dev's stream and tests.
func CodeImage(c access.Code) (map[string]events.DynamoDBAttributeValue, error) {
	item, err := codeAttrs(c)
	if err != nil {
		return nil, err
	}
	return ToStream(item)
}

// IsCodeToSend reports whether a stream image is a code item whose code is
// owed (send true): what the stream's second filter passes to notify.
func IsCodeToSend(img map[string]events.DynamoDBAttributeValue) bool {
	k, ok := img[attrKind]
	send, ok2 := img[attrSend]
	return ok && ok2 && k.DataType() == events.DataTypeString && k.String() == kindCode &&
		send.DataType() == events.DataTypeBoolean && send.Boolean()
}

// CodeFromStream decodes a code item's stream image: its address and
// browser come from its key.
func CodeFromStream(img map[string]events.DynamoDBAttributeValue) (access.Code, error) {
	item, err := FromStream(img)
	if err != nil {
		return access.Code{}, fmt.Errorf("stream image: %w", err)
	}
	var it codeItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return access.Code{}, fmt.Errorf("stream image: decode sign-in code: %w", err)
	}
	rest, ok := strings.CutPrefix(it.PK, kindCode+"#")
	i := strings.LastIndexByte(rest, '#')
	if !ok || i < 1 || len(rest)-i-1 != 64 { // the browser is a SHA-256, hex
		return access.Code{}, errors.New("stream image: not a browser's sign-in code")
	}
	return access.Code{Email: rest[:i], Browser: rest[i+1:], Digest: it.Digest, Send: it.Send, Tries: it.Tries, Expires: time.Unix(it.ExpiresAt, 0).UTC()}, nil
}

// ClaimCode stores digest on c's item and sets its send false, in one conditional
// update: only while the item is still the one c was read from (its
// expiry) and its code still owed (send true). access.ErrNoCode otherwise (sent
// already: a redelivered record; replaced; used; gone): nothing is to be
// sent.
func (s *Store) ClaimCode(ctx context.Context, c access.Code, digest string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("SET #digest = :digest, #send = :false"),
		ConditionExpression:      aws.String("#send = :true AND #exp = :exp"),
		ExpressionAttributeNames: map[string]string{"#digest": attrDigest, "#send": attrSend, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":digest": str(digest), ":true": &types.AttributeValueMemberBOOL{Value: true}, ":false": &types.AttributeValueMemberBOOL{Value: false},
			":exp": num(c.Expires.Unix()),
		},
		TableName: aws.String(s.table),
		Key:       pk(codeKey(c.Email, c.Browser)),
	})
	if _, failed := conditionFailed(err); failed {
		return access.ErrNoCode
	}
	if err != nil {
		return fmt.Errorf("claim sign-in code: %w", err)
	}
	return nil
}

// ReleaseCode undoes ClaimCode(c, c.Digest) after its email could not be
// sent: the code is owed again, so the record's retry makes and sends
// another, whose digest replaces this one. access.ErrNoCode if the item
// changed since (replaced, used, or released already).
func (s *Store) ReleaseCode(ctx context.Context, c access.Code) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("SET #send = :true"),
		ConditionExpression:      aws.String("#digest = :digest AND #send = :false"),
		ExpressionAttributeNames: map[string]string{"#digest": attrDigest, "#send": attrSend},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":digest": str(c.Digest), ":true": &types.AttributeValueMemberBOOL{Value: true}, ":false": &types.AttributeValueMemberBOOL{Value: false},
		},
		TableName: aws.String(s.table),
		Key:       pk(codeKey(c.Email, c.Browser)),
	})
	if _, failed := conditionFailed(err); failed {
		return access.ErrNoCode
	}
	if err != nil {
		return fmt.Errorf("release sign-in code: %w", err)
	}
	return nil
}

// TryCode counts one try of the code browser asked for email at now, in one
// conditional update, and returns the code as counted: access.ErrNoCode if
// there is none that still works, access.ErrLocked once it took
// access.MaxTries tries.
func (s *Store) TryCode(ctx context.Context, email, browser string, now time.Time) (access.Code, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("ADD #tries :one"),
		ConditionExpression:      aws.String("attribute_exists(#pk) AND #tries < :max AND #exp > :now"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#tries": attrTries, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":max": num(access.MaxTries), ":now": num(now.Unix()),
		},
		TableName:                           aws.String(s.table),
		Key:                                 pk(codeKey(email, browser)),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		// The code as it was says which condition failed.
		var it codeItem
		if err := attributevalue.UnmarshalMap(old, &it); err != nil || it.PK == "" || it.ExpiresAt <= now.Unix() {
			return access.Code{}, access.ErrNoCode
		}
		return access.Code{}, access.ErrLocked
	}
	if err != nil {
		return access.Code{}, fmt.Errorf("try sign-in code: %w", err)
	}
	var it codeItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return access.Code{}, fmt.Errorf("try sign-in code: decode: %w", err)
	}
	return access.Code{Email: email, Browser: browser, Digest: it.Digest, Send: it.Send, Tries: it.Tries, Expires: time.Unix(it.ExpiresAt, 0).UTC()}, nil
}

// UseCode deletes c, so it works once: access.ErrNoCode if it is gone or
// another code its browser asked for replaced it.
func (s *Store) UseCode(ctx context.Context, c access.Code) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		ConditionExpression:       aws.String("#digest = :digest"),
		ExpressionAttributeNames:  map[string]string{"#digest": attrDigest},
		ExpressionAttributeValues: map[string]types.AttributeValue{":digest": str(c.Digest)},
		TableName:                 aws.String(s.table),
		Key:                       pk(codeKey(c.Email, c.Browser)),
	})
	if _, failed := conditionFailed(err); failed {
		return access.ErrNoCode
	}
	if err != nil {
		return fmt.Errorf("use sign-in code: %w", err)
	}
	return nil
}

// auditItem is an audit entry as stored: ids and actions, never a
// patient's details.
type auditItem struct {
	PK        string `dynamodbav:"pk"`
	Kind      string `dynamodbav:"kind"`
	List      string `dynamodbav:"list"`
	ListAt    string `dynamodbav:"listAt"`
	At        string `dynamodbav:"at"`
	Actor     string `dynamodbav:"actor"`
	Action    string `dynamodbav:"action"`
	Lead      string `dynamodbav:"lead,omitempty"`
	RequestID string `dynamodbav:"requestId,omitempty"`
	Span      string `dynamodbav:"span,omitempty"`
	Requests  int    `dynamodbav:"requests,omitempty"`
	Items     int    `dynamodbav:"items,omitempty"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// auditList is the list of the entries about lead id ("": about no lead).
func auditList(id string) string {
	if id == "" {
		return listAuditOff
	}
	return listAudit + id
}

// Audit appends e to the trail: a new item each time, never written over.
// It is listed under its lead by its time, then its action (the order
// entries of one instant are read in), then a random suffix.
func (s *Store) Audit(ctx context.Context, e access.AuditEntry) error {
	id := uuid.NewString()
	item, err := attributevalue.MarshalMap(auditItem{
		PK: auditKey(id), Kind: kindAudit, List: auditList(e.Lead),
		ListAt: stamp(e.At) + "#" + string(e.Action) + "#" + id[:8],
		At:     stamp(e.At), Actor: e.Actor, Action: string(e.Action), Lead: e.Lead, RequestID: e.RequestID,
		Span: e.Span, Requests: e.Requests, Items: e.Items, ExpiresAt: e.Expires.Unix(),
	})
	if err != nil {
		return fmt.Errorf("audit %s: marshal: %w", e.Action, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		TableName:                aws.String(s.table),
		Item:                     item,
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditTrail yields the entries about leadID ("" for sign-ins, failed codes
// and sign-outs) from since on (zero: all), oldest or newest first, page by
// page; entries whose retention ended at now are skipped.
func (s *Store) AuditTrail(ctx context.Context, leadID string, since time.Time, newestFirst bool, now time.Time) iter.Seq2[access.AuditEntry, error] {
	return func(yield func(access.AuditEntry, error) bool) {
		in := s.queryInput(partition{ListIndex, attrList, auditList(leadID), attrListAt}, stamp(since), "", newestFirst)
		pages := dynamodb.NewQueryPaginator(s.db, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(access.AuditEntry{}, fmt.Errorf("query audit trail: %w", err))
				return
			}
			for _, item := range page.Items {
				var it auditItem
				err := attributevalue.UnmarshalMap(item, &it)
				var at time.Time
				if err == nil {
					at, err = unstamp(it.At)
				}
				if err != nil {
					if !yield(access.AuditEntry{}, fmt.Errorf("audit entry %s: %w", it.PK, err)) {
						return
					}
					continue
				}
				e := access.AuditEntry{
					At: at, Actor: it.Actor, Action: access.Action(it.Action), Lead: it.Lead, RequestID: it.RequestID,
					Span: it.Span, Requests: it.Requests, Items: it.Items, Expires: time.Unix(it.ExpiresAt, 0).UTC(),
				}
				// since is the key condition's; retention is checked here.
				if !e.Expires.After(now) {
					continue
				}
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}
