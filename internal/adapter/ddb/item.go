package ddb

import (
	"fmt"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// The table's layout. template.yaml declares the same names; the store
// contract test creates its table from the template, so the two cannot drift.
const (
	attrPK      = "pk"        // partition key: "<kind>#<id>"
	attrKind    = "kind"      // lead | rate | run | session | code | audit | held | count; the stream filter passes only leads
	attrPending = "pending"   // GSI hash key, present only while a lead is new
	attrCreated = "createdAt" // GSI sort key
	attrExpires = "expiresAt" // TTL, epoch seconds
	attrHits    = "hits"      // rate counter

	// When an email about a lead went out, and SES's id for it.
	attrAlertedAt = "alertedAt"
	attrAlertID   = "alertMessageId"
	attrAckedAt   = "ackedAt"
	attrAckID     = "ackMessageId"
	attrNudgedAt  = "nudgedAt"
	// The text to the patient (PATIENT_SMS), End User Messaging's id.
	attrTextedAt = "textedAt"
	attrTextID   = "textMessageId"
	attrNudgeID  = "nudgeMessageId"
	// When notify held the alert back: ALERT_LIMIT was used up.
	attrAlertHeld = "alertHeldAt"

	// What SES reported about the alert since (RecordAlertOutcome).
	attrAlertDelivered = "alertDeliveredAt"
	attrAlertProblem   = "alertProblem"
	attrAlertProblemAt = "alertProblemAt"
	attrAlertBounce    = "alertBounceType"
	attrAlertBounceSub = "alertBounceSubType"

	// PendingIndex is the sparse GSI of leads nobody has tried yet, oldest
	// first.
	PendingIndex = "pending-by-created"

	// QueueIndex is the sparse GSI of leads the follow-up must list beyond
	// the new ones: open leads by when their call-back is due (queue
	// "callback"), and leads closed as unreachable that no digest has
	// reported yet (queue "unreachable"), by when they closed.
	QueueIndex    = "queue-by-time"
	attrQueue     = "queue"
	attrQueueAt   = "queueAt"
	queueCallback = "callback"
	queueReport   = "unreachable"
	attrVersion   = "version"

	// ListIndex is the sparse GSI shared by three kinds of item, each
	// partition one list in time order: the closed leads (list "closed", by
	// when they closed), each staff member's sessions ("session#<email>", by
	// when they began) and the audit trail ("audit#lead#<id>" for each lead,
	// "audit#staff" for sign-ins and sign-outs, by when it happened).
	// CloudFormation adds one GSI per stack update, so there is one for all.
	ListIndex    = "list-by-time"
	attrList     = "list"
	attrListAt   = "listAt"
	listClosed   = "closed"
	listSessions = "session#"    // + the staff member's email
	listAudit    = "audit#lead#" // + the lead's id
	listAuditOff = "audit#staff" // entries about no lead

	// A session (kind "session"): who signed in ("" for one an emailed link
	// started), the leads it may open (the string set "leads", and each
	// one's end in the map "ends"; absent for staff who signed in) and when
	// it began; expiresAt is when it ends. The item session#links-ended
	// (attrLinksEnded, access.go) says when link sessions were last ended.
	attrEmail = "email"

	// A sign-in code (kind "code"), one per address and browser: send
	// (true while its code is owed to a listed address: the stream's
	// filter hands it to notify), its keyed hash once notify made and sent
	// the code, and how many times it was tried; expiresAt is when it stops
	// working.
	attrDigest = "digest"
	attrTries  = "tries"

	kindLead = "lead"
	kindRate = "rate"
	kindRun  = "run"

	kindSession = "session"
	kindCode    = "code"
	kindAudit   = "audit"

	// Held requests (held.go): kind "held", listed in ListIndex under
	// "held"; and their count per clinic day (kind "count").
	kindHeld  = "held"
	kindCount = "count"
	listHeld  = "held"

	// pendingValue is the one GSI hash key value: all untried leads in one
	// ordered list. A clinic's volume is far below a partition's limits.
	pendingValue = "new"

	// statusContacted is what the previous version stored once staff marked
	// a lead, with contactedAt, outcome and note: read as one attempt.
	statusContacted = "contacted"

	// timeLayout is fixed-width UTC, so the strings sort as the times do.
	timeLayout = "2006-01-02T15:04:05.000000Z"
)

func leadKey(id string) string  { return kindLead + "#" + id }
func rateKey(key string) string { return kindRate + "#" + key }
func runKey(key string) string  { return kindRun + "#" + key }

func sessionKey(hash string) string { return kindSession + "#" + hash }
func auditKey(id string) string     { return kindAudit + "#" + id }

// codeKey is a code's key: by its address and the hash of its browser's
// code cookie ("": the key 1.0.x gave an address's one code).
func codeKey(email, browser string) string {
	if browser == "" {
		return kindCode + "#" + email
	}
	return kindCode + "#" + email + "#" + browser
}

// leadItem is a lead as stored.
type leadItem struct {
	PK               string            `dynamodbav:"pk"`
	Kind             string            `dynamodbav:"kind"`
	ID               string            `dynamodbav:"id"`
	Status           string            `dynamodbav:"status"`
	Pending          string            `dynamodbav:"pending,omitempty"`
	CreatedAt        string            `dynamodbav:"createdAt"`
	Name             string            `dynamodbav:"name"`
	Phone            string            `dynamodbav:"phone,omitempty"`
	PhoneDisplay     string            `dynamodbav:"phoneDisplay,omitempty"`
	Email            string            `dynamodbav:"email,omitempty"`
	PreferredContact string            `dynamodbav:"preferredContact"`
	PreferredTime    string            `dynamodbav:"preferredTime"`
	Reason           string            `dynamodbav:"reason,omitempty"`
	ConsentAt        string            `dynamodbav:"consentAt"`
	ConsentVersion   string            `dynamodbav:"consentVersion"`
	Page             string            `dynamodbav:"page,omitempty"`
	UTM              map[string]string `dynamodbav:"utm,omitempty"` // utm_*, gclid, fbclid
	Referrer         string            `dynamodbav:"referrer,omitempty"`
	LandingPath      string            `dynamodbav:"landingPath,omitempty"`
	ExpiresAt        int64             `dynamodbav:"expiresAt"`
	ReleasedAt       string            `dynamodbav:"releasedAt,omitempty"`  // absent but for a request released from review
	AlertHeldAt      string            `dynamodbav:"alertHeldAt,omitempty"` // absent but for a lead over ALERT_LIMIT
	AlertedAt        string            `dynamodbav:"alertedAt,omitempty"`
	AlertMessageID   string            `dynamodbav:"alertMessageId,omitempty"`
	AckedAt          string            `dynamodbav:"ackedAt,omitempty"`
	AckMessageID     string            `dynamodbav:"ackMessageId,omitempty"`
	NudgedAt         string            `dynamodbav:"nudgedAt,omitempty"`
	NudgeMessageID   string            `dynamodbav:"nudgeMessageId,omitempty"`
	TextedAt         string            `dynamodbav:"textedAt,omitempty"` // absent on leads stored before PATIENT_SMS
	TextMessageID    string            `dynamodbav:"textMessageId,omitempty"`
	// A returning patient (patient.go): the keys of the lead's contacts,
	// and the ids of the same patient's earlier requests (newest first)
	// and of their newest later one. Absent on leads stored before.
	ContactKeys []string `dynamodbav:"contactKeys,stringset,omitempty"`
	Earlier     []string `dynamodbav:"earlier,omitempty"`
	Newer       string   `dynamodbav:"newer,omitempty"`
	alertOutcomeItem
	progressItem
	// The previous version's record of staff's one contact (statusContacted).
	ContactedAt string `dynamodbav:"contactedAt,omitempty"`
	Outcome     string `dynamodbav:"outcome,omitempty"`
	Note        string `dynamodbav:"note,omitempty"`
}

// alertOutcomeItem is what SES reported about the alert (lead.Delivery's
// DeliveredAt, Problem, ...); absent until it did.
type alertOutcomeItem struct {
	AlertDeliveredAt   string `dynamodbav:"alertDeliveredAt,omitempty"`
	AlertProblem       string `dynamodbav:"alertProblem,omitempty"`
	AlertProblemAt     string `dynamodbav:"alertProblemAt,omitempty"`
	AlertBounceType    string `dynamodbav:"alertBounceType,omitempty"`
	AlertBounceSubType string `dynamodbav:"alertBounceSubType,omitempty"`
}

// progressItem is the call-back loop's part of a lead item (lead.Record,
// Correct, Reopen), kept apart from what the visitor sent.
type progressItem struct {
	History        []eventItem `dynamodbav:"history,omitempty"`
	Dropped        int         `dynamodbav:"historyDropped,omitempty"`
	Tries          int         `dynamodbav:"tries,omitempty"`
	CallbackAt     string      `dynamodbav:"callbackAt,omitempty"`
	ClosedReason   string      `dynamodbav:"closedReason,omitempty"`
	ClosedAt       string      `dynamodbav:"closedAt,omitempty"`
	FirstAttemptAt string      `dynamodbav:"firstAttemptAt,omitempty"`
	FirstReachAt   string      `dynamodbav:"firstReachAt,omitempty"`
	Queue          string      `dynamodbav:"queue,omitempty"`
	QueueAt        string      `dynamodbav:"queueAt,omitempty"`
	List           string      `dynamodbav:"list,omitempty"`
	ListAt         string      `dynamodbav:"listAt,omitempty"`
	Version        int         `dynamodbav:"version,omitempty"`
}

// eventItem is one entry of a lead's history.
type eventItem struct {
	At       string `dynamodbav:"at"`
	Kind     string `dynamodbav:"kind"`
	Outcome  string `dynamodbav:"outcome,omitempty"`
	Channel  string `dynamodbav:"channel,omitempty"`
	Note     string `dynamodbav:"note,omitempty"`
	By       string `dynamodbav:"by,omitempty"`
	Callback string `dynamodbav:"callback,omitempty"`
	Of       string `dynamodbav:"of,omitempty"` // a duplicate's newer request's id
}

// stamp formats t as stored, "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// stampUp formats an exclusive upper bound: t rounded up to the stored
// microsecond, so "stored < stampUp(t)" is "stored time before t" even when
// t has nanoseconds.
func stampUp(t time.Time) string {
	if u := t.Truncate(time.Microsecond); u.Before(t) {
		t = u.Add(time.Microsecond)
	}
	return stamp(t)
}

// unstamp reads a stored time, the zero time for "".
func unstamp(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(timeLayout, v)
}

func toItem(l lead.Lead) leadItem {
	it := leadItem{
		PK:               leadKey(l.ID),
		Kind:             kindLead,
		ID:               l.ID,
		Status:           string(l.Status),
		CreatedAt:        stamp(l.CreatedAt),
		Name:             l.Name,
		Phone:            l.Phone,
		PhoneDisplay:     l.PhoneDisplay,
		Email:            l.Email,
		PreferredContact: string(l.PreferredContact),
		PreferredTime:    string(l.PreferredTime),
		Reason:           l.Reason,
		ConsentAt:        stamp(l.Consent.At),
		ConsentVersion:   l.Consent.Version,
		Page:             l.Source.Page,
		UTM:              l.Source.UTM,
		Referrer:         l.Source.Referrer,
		LandingPath:      l.Source.LandingPath,
		ExpiresAt:        l.ExpiresAt.Unix(),
		ReleasedAt:       stamp(l.ReleasedAt),
		AlertHeldAt:      stamp(l.AlertHeld),
		ContactKeys:      slices.Clone(l.ContactKeys),
		Earlier:          slices.Clone(l.Earlier),
		Newer:            l.Newer,
		progressItem:     toProgress(l),
	}
	if l.Status == lead.StatusNew {
		it.Pending = pendingValue
	}
	if d := l.Alert; d != nil {
		it.AlertedAt, it.AlertMessageID = stamp(d.At), d.MessageID
		it.alertOutcomeItem = alertOutcomeItem{stamp(d.DeliveredAt), string(d.Problem), stamp(d.ProblemAt), d.BounceType, d.BounceSubType}
	}
	if d := l.Ack; d != nil {
		it.AckedAt, it.AckMessageID = stamp(d.At), d.MessageID
	}
	if d := l.Nudge; d != nil {
		it.NudgedAt, it.NudgeMessageID = stamp(d.At), d.MessageID
	}
	if d := l.PatientText; d != nil {
		it.TextedAt, it.TextMessageID = stamp(d.At), d.MessageID
	}
	return it
}

func toProgress(l lead.Lead) progressItem {
	p := progressItem{
		Dropped:        l.Dropped,
		Tries:          l.Tries,
		CallbackAt:     stamp(l.Callback),
		ClosedReason:   string(l.Closed),
		ClosedAt:       stamp(l.ClosedAt),
		FirstAttemptAt: stamp(l.FirstAttempt),
		FirstReachAt:   stamp(l.FirstReach),
		Version:        l.Version,
	}
	for _, e := range l.History {
		p.History = append(p.History, eventItem{
			At: stamp(e.At), Kind: string(e.Kind), Outcome: string(e.Outcome), Channel: string(e.Channel),
			Note: e.Note, By: e.By, Callback: stamp(e.Callback), Of: e.Of,
		})
	}
	switch {
	case l.Status == lead.StatusOpen && !l.Callback.IsZero():
		p.Queue, p.QueueAt = queueCallback, p.CallbackAt
	case l.Status == lead.StatusClosed && l.Unreported:
		p.Queue, p.QueueAt = queueReport, p.ClosedAt
	}
	// A closed lead is listed by when it closed. One the previous version
	// closed has no list attribute: it is not listed as recently closed
	// (nothing is migrated), until a change puts it again.
	if l.Status == lead.StatusClosed && !l.ClosedAt.IsZero() {
		p.List, p.ListAt = listClosed, p.ClosedAt
	}
	return p
}

func delivery(at, messageID string) (*lead.Delivery, error) {
	t, err := unstamp(at)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &lead.Delivery{At: t, MessageID: messageID}, nil
}

func (it leadItem) lead() (lead.Lead, error) {
	l := lead.Lead{
		ID:               it.ID,
		Status:           lead.Status(it.Status),
		Name:             it.Name,
		Phone:            it.Phone,
		PhoneDisplay:     it.PhoneDisplay,
		Email:            it.Email,
		PreferredContact: lead.ContactMethod(it.PreferredContact),
		PreferredTime:    lead.TimeSlot(it.PreferredTime),
		Reason:           it.Reason,
		Consent:          lead.Consent{Version: it.ConsentVersion},
		Source:           lead.Source{Page: it.Page, UTM: it.UTM, Referrer: it.Referrer, LandingPath: it.LandingPath},
		ExpiresAt:        time.Unix(it.ExpiresAt, 0).UTC(),
		Dropped:          it.Dropped,
		Tries:            it.Tries,
		Closed:           lead.Reason(it.ClosedReason),
		Unreported:       it.Queue == queueReport,
		Version:          it.Version,
		ContactKeys:      slices.Sorted(slices.Values(it.ContactKeys)), // a set: in no order as stored
		Earlier:          it.Earlier,
		Newer:            it.Newer,
	}
	// Every stored time, read in one place; the first bad one names itself.
	times := []struct {
		name string
		v    string
		to   *time.Time
	}{
		{"createdAt", it.CreatedAt, &l.CreatedAt}, {"consentAt", it.ConsentAt, &l.Consent.At},
		{"callbackAt", it.CallbackAt, &l.Callback}, {"closedAt", it.ClosedAt, &l.ClosedAt},
		{"firstAttemptAt", it.FirstAttemptAt, &l.FirstAttempt}, {"firstReachAt", it.FirstReachAt, &l.FirstReach},
		{"releasedAt", it.ReleasedAt, &l.ReleasedAt}, {"alertHeldAt", it.AlertHeldAt, &l.AlertHeld},
	}
	for _, f := range times {
		t, err := unstamp(f.v)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("lead %s: %s: %w", it.ID, f.name, err)
		}
		*f.to = t
	}
	if l.CreatedAt.IsZero() {
		return lead.Lead{}, fmt.Errorf("lead %s: createdAt missing", it.ID)
	}
	var err error
	if l.Alert, err = delivery(it.AlertedAt, it.AlertMessageID); err != nil {
		return lead.Lead{}, fmt.Errorf("lead %s: alertedAt: %w", it.ID, err)
	}
	if d := l.Alert; d != nil {
		o := it.alertOutcomeItem
		d.Problem, d.BounceType, d.BounceSubType = lead.MailEvent(o.AlertProblem), o.AlertBounceType, o.AlertBounceSubType
		if d.DeliveredAt, err = unstamp(o.AlertDeliveredAt); err != nil {
			return lead.Lead{}, fmt.Errorf("lead %s: alertDeliveredAt: %w", it.ID, err)
		}
		if d.ProblemAt, err = unstamp(o.AlertProblemAt); err != nil {
			return lead.Lead{}, fmt.Errorf("lead %s: alertProblemAt: %w", it.ID, err)
		}
	}
	if l.Ack, err = delivery(it.AckedAt, it.AckMessageID); err != nil {
		return lead.Lead{}, fmt.Errorf("lead %s: ackedAt: %w", it.ID, err)
	}
	if l.Nudge, err = delivery(it.NudgedAt, it.NudgeMessageID); err != nil {
		return lead.Lead{}, fmt.Errorf("lead %s: nudgedAt: %w", it.ID, err)
	}
	if l.PatientText, err = delivery(it.TextedAt, it.TextMessageID); err != nil {
		return lead.Lead{}, fmt.Errorf("lead %s: textedAt: %w", it.ID, err)
	}
	for _, e := range it.History {
		ev := lead.Event{Kind: lead.EventKind(e.Kind), Outcome: lead.Outcome(e.Outcome), Channel: lead.Channel(e.Channel), Note: e.Note, By: e.By, Of: e.Of}
		if ev.At, err = unstamp(e.At); err != nil {
			return lead.Lead{}, fmt.Errorf("lead %s: history: %w", it.ID, err)
		}
		if ev.Callback, err = unstamp(e.Callback); err != nil {
			return lead.Lead{}, fmt.Errorf("lead %s: history: %w", it.ID, err)
		}
		l.History = append(l.History, ev)
	}
	if it.Status == statusContacted {
		if err := it.legacyContact(&l); err != nil {
			return lead.Lead{}, err
		}
	}
	return l, nil
}

// legacyContact reads the previous version's one contact as the attempt it
// was: a closing outcome closes the lead; any other leaves it open, with no
// call-back scheduled (that version set none), until staff record the next
// attempt.
func (it leadItem) legacyContact(l *lead.Lead) error {
	at, err := time.Parse(timeLayout, it.ContactedAt)
	if err != nil {
		return fmt.Errorf("lead %s: contactedAt: %w", it.ID, err)
	}
	o := lead.Outcome(it.Outcome)
	l.History = []lead.Event{{At: at, Kind: lead.EventAttempt, Outcome: o, Channel: lead.ChannelCall, Note: it.Note, By: lead.ByLink}}
	l.FirstAttempt = at
	if o.Reaches() {
		l.FirstReach = at
	}
	if o.Closes() {
		l.Status, l.Closed, l.ClosedAt = lead.StatusClosed, lead.Reason(o), at
		return nil
	}
	l.Status, l.Tries = lead.StatusOpen, 1
	return nil
}
