// Package notify turns each new lead on the table's stream into an email to
// the clinic (and, if enabled, an acknowledgement to the visitor), and
// records that it went out, so a redelivered record sends nothing twice.
// It also emails the sign-in codes staff ask for: the sign-in page stores a
// code item, for listed and unlisted addresses alike, and the stream hands
// the items whose code is owed to notify, which makes the code, stores its
// digest and sends it, off the sign-in request's path (docs/signin.md).
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/ratelimit"
	"github.com/openclinic/leadhandler/internal/render/emails"
	"github.com/openclinic/leadhandler/internal/render/texts"
)

// Store is what the handler needs of the lead store.
type Store interface {
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	MarkAlerted(ctx context.Context, id string, d lead.Delivery) error
	MarkAcknowledged(ctx context.Context, id string, d lead.Delivery) error
	MarkAlertHeld(ctx context.Context, id string, at time.Time) error
	// The alert budget (ALERT_LIMIT): its clinic-wide counter, and its one
	// summary email a window.
	Charge(ctx context.Context, c ratelimit.Charge) error
	Refund(ctx context.Context, c ratelimit.Charge) error
	ClaimRun(ctx context.Context, key string, now time.Time, lease, keep time.Duration) error
	FinishRun(ctx context.Context, key string) error
	ReleaseRun(ctx context.Context, key string) error
	// Sign-in codes: the digest of the code made for an item that owes
	// one, stored once; and given back when its email failed.
	ClaimCode(ctx context.Context, c access.Code, digest string) error
	ReleaseCode(ctx context.Context, c access.Code) error
	TextStore
	// A returning patient (PATIENT_MEMORY_DAYS): a new lead's contact keys
	// indexed, the requests under them looked up (ContactRequests), and
	// the lead linked to the earlier ones.
	patient.Index
}

// Sender sends one email and returns its message id.
type Sender interface {
	Send(ctx context.Context, m sesmail.Message) (string, error)
}

// Handler handles stream batches.
type Handler struct {
	cfg    config.Notify
	store  Store
	sender Sender
	signer *link.Signer
	log    *slog.Logger
	now    func() time.Time
	// events gets "Lead Received" once a lead's alert went out; nil for none.
	events *bus.Publisher
	guard  Guard // nil: no response guard
	// texts doubles the alert as a text to STAFF_SMS; nil for none.
	texts *sms.Sender
	// metrics counts the alerts and their latency; nil for none.
	metrics *metric.Writer
	// patients texts a patient back (PATIENT_SMS); nil for none.
	patients *sms.Sender
	// recognising bounds recognising a returning patient (returning.go).
	recognising time.Duration
}

// Guard sets a lead's response-guard schedule (internal/adapter/nudges).
type Guard interface {
	Arm(ctx context.Context, id string, created, now time.Time) (time.Time, error)
}

// WithGuard makes h set each new lead's response-guard schedule.
func (h *Handler) WithGuard(g Guard) *Handler {
	h.guard = g
	return h
}

// WithSMS makes h text each alert to s's numbers too (STAFF_SMS).
func (h *Handler) WithSMS(s *sms.Sender) *Handler {
	h.texts = s
	return h
}

// New returns a handler.
func New(cfg config.Notify, store Store, sender Sender, signer *link.Signer, log *slog.Logger, now func() time.Time) *Handler {
	return &Handler{cfg: cfg, store: store, sender: sender, signer: signer, log: log, now: now, recognising: recognising}
}

// Handle handles one batch. A record that fails is reported in
// BatchItemFailures and the rest still go out; Lambda then redelivers from
// the first failure, and records already sent are skipped.
func (h *Handler) Handle(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	// Once a batch, before its records are handled side by side: links are
	// signed with the version current at most link.RefreshEvery ago.
	if err := h.signer.Refresh(ctx); err != nil {
		h.log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}
	indexed := h.index(ctx, e.Records)
	failed := make([]bool, len(e.Records))
	// A batch goes out in about the time of its slowest few sends; the
	// sender keeps to SES's send rate.
	sem := make(chan struct{}, max(h.cfg.Concurrency, 1))
	var wg sync.WaitGroup
	for i, r := range e.Records {
		// Defence in depth: the event source's filters pass only new leads
		// and code items whose code is owed (ddb.StreamFilters).
		var handle func(context.Context, events.DynamoDBEventRecord) error
		switch op := events.DynamoDBOperationType(r.EventName); {
		case isLeadInsert(r):
			handle = func(ctx context.Context, r events.DynamoDBEventRecord) error {
				if err := h.record(ctx, r, indexed[i]); err != nil {
					return err
				}
				// The alert went out (or was held back) without the index:
				// the record fails, so Lambda hands it over again and the
				// index is written then (the alert is not sent twice), and
				// the patient's later requests and their right of access
				// find this one.
				if err := indexed[i]; err != nil && !errors.Is(err, lead.ErrNotFound) {
					return fmt.Errorf("contact index not written: %s", storeFailure(err))
				}
				return nil
			}
		case (op == events.DynamoDBOperationTypeInsert || op == events.DynamoDBOperationTypeModify) && ddb.IsCodeToSend(r.Change.NewImage):
			handle = h.code
		default:
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := handle(ctx, r); err != nil {
				h.log.Error("record failed", "eventId", r.EventID, "err", err)
				if err := h.metrics.Put(nil, metric.Value{Def: metric.RecordsFailed, Value: 1}); err != nil {
					h.log.Warn("count failed record", "err", err)
				}
				failed[i] = true
			}
		}()
	}
	wg.Wait()
	var res events.DynamoDBEventResponse
	for i, f := range failed {
		if f {
			res.BatchItemFailures = append(res.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: e.Records[i].Change.SequenceNumber})
		}
	}
	return res, nil
}

// isLeadInsert reports whether r is a lead's insertion.
func isLeadInsert(r events.DynamoDBEventRecord) bool {
	return events.DynamoDBOperationType(r.EventName) == events.DynamoDBOperationTypeInsert && ddb.IsLead(r.Change.NewImage)
}

// record handles a lead's insertion; indexed is what indexing its
// contacts gave (Handler.index).
func (h *Handler) record(ctx context.Context, r events.DynamoDBEventRecord, indexed error) error {
	l, err := ddb.LeadFromStream(r.Change.NewImage)
	if err != nil {
		return err
	}
	log := h.log.With("leadId", l.ID)
	// The stream image is as the lead was inserted; the store says whether
	// its emails already went out (a redelivered batch).
	now := h.now()
	cur, err := h.store.Get(ctx, l.ID, now)
	if errors.Is(err, lead.ErrNotFound) {
		log.Warn("lead gone before its alert")
		return nil
	}
	if err != nil {
		return err
	}
	if !cur.AlertHeld.IsZero() {
		return nil // held back by ALERT_LIMIT when first handled: a redelivery
	}
	if cur.Alert == nil {
		// Before the budget: a request held back by ALERT_LIMIT is indexed
		// and linked too, for the next one and for its page.
		earlier := h.earlier(ctx, log, cur, indexed, now)
		charge, err := h.budget(ctx, log, now)
		if errors.Is(err, ratelimit.ErrLimited) {
			// Stored, and in the inbox and the digest; no alert, no
			// acknowledgement, no text, no nudge: the summary says it.
			// Recorded, so the pages say why and a redelivery skips it.
			switch err := h.store.MarkAlertHeld(ctx, cur.ID, now); {
			case err == nil:
				h.events.Publish(ctx, bus.Event{Type: bus.Received, LeadID: cur.ID, At: cur.CreatedAt, Status: string(cur.Status)})
			case !errors.Is(err, lead.ErrAlreadySent):
				log.Error("alert held back but not recorded", "err", err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if err := h.alert(ctx, log, cur, earlier, now); err != nil {
			// The retry is charged again: this try used none of the budget.
			if charge != nil {
				if rerr := h.store.Refund(ctx, *charge); rerr != nil {
					log.Warn("alert budget not refunded", "err", rerr)
				}
			}
			return err
		}
		// Once, with the alert: a redelivered batch skips both.
		h.events.Publish(ctx, bus.Event{Type: bus.Received, LeadID: cur.ID, At: cur.CreatedAt, Status: string(cur.Status)})
	}
	if h.cfg.Ack && cur.Email != "" && cur.Ack == nil {
		if err := h.ack(ctx, log, cur, now); err != nil {
			return err
		}
	}
	h.textBack(ctx, log, cur, now)
	h.arm(ctx, log, cur, now)
	return nil
}

// code emails the sign-in code a staff member asked for: the email step
// stored its item (send true: a listed address) with no code; here the code
// is made, its digest stored on the item in one conditional update (so a
// redelivered record, or a record of an item since replaced, sends
// nothing), then emailed to the address as STAFF_EMAILS spells it. A failed
// send gives the item back, owed again, and fails the record: the stream
// retries it. An item asked for access.CodeTTL ago or more is skipped: its
// code would not work. Neither the code nor the address is logged.
func (h *Handler) code(ctx context.Context, r events.DynamoDBEventRecord) error {
	c, err := ddb.CodeFromStream(r.Change.NewImage)
	if err != nil {
		return err
	}
	now := h.now()
	if !c.Expires.After(now) {
		h.log.Warn("sign-in code not sent", "reason", "asked for too long ago")
		return nil
	}
	to, listed := access.Listed(h.cfg.StaffEmails, c.Email)
	if !listed {
		// The item says send, but STAFF_EMAILS here does not list the
		// address (taken off since, or the functions' lists differ).
		h.log.Warn("sign-in code not sent", "reason", "not on the list")
		return nil
	}
	code, err := access.NewCode()
	if err != nil {
		return err
	}
	c.Digest = access.CodeDigest(h.signer.Key(access.PurposeCode), c.Email, code)
	switch err := h.store.ClaimCode(ctx, c, c.Digest); {
	case errors.Is(err, access.ErrNoCode):
		h.log.Info("sign-in code not sent", "reason", "sent already, replaced or used")
		return nil
	case err != nil:
		return fmt.Errorf("sign-in code: %w", err)
	}
	m := h.message([]string{to}, emails.SignInCode(h.cfg.ClinicName, code))
	m.Tags = map[string]string{sesmail.TagKind: sesmail.KindSignIn}
	id, err := h.sender.Send(ctx, m)
	if err != nil {
		if rerr := h.store.ReleaseCode(ctx, c); rerr != nil {
			h.log.Error("sign-in code not sent, and not owed again: the staff member asks again", "err", rerr)
		}
		// SES's message may name the address: only its error code.
		return fmt.Errorf("sign-in code not sent: %s", sendFailure(err))
	}
	h.log.Info("sign-in code sent", "messageId", id)
	return nil
}

// refused reports whether SES refused a message for good
// (MessageRejected: in the sandbox, a recipient nobody verified), so
// retrying it would only fail again.
func refused(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "MessageRejected"
}

// sendFailure says why a send failed without SES's message, which may name
// a recipient: its error code, or the error's type.
func sendFailure(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return "SES " + api.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "timed out"
	}
	return fmt.Sprintf("%T", err)
}

// What the alert budget keeps in the table: its counter a window
// ("rate#alerts#<window start>") and the marker of its summary email
// ("run#alert-summary#<window start>").
const (
	budgetCounter = "alerts"
	budgetSummary = "alert-summary#"
	// summaryLease is how long a claimed summary waits for the claimant to
	// send it before another over-budget lead may take it over.
	summaryLease = 2 * time.Minute
)

// budget charges one alert to the clinic-wide budget (ALERT_LIMIT) of the
// window holding now, and returns the charge (nil with no limit). Over it,
// the lead is counted as held back and the error is ratelimit.ErrLimited;
// the first lead over it sends the window's one summary email.
func (h *Handler) budget(ctx context.Context, log *slog.Logger, now time.Time) (*ratelimit.Charge, error) {
	limit := h.cfg.AlertLimit
	if !limit.Enabled() {
		return nil, nil
	}
	c := limit.Shared(budgetCounter, now)
	err := h.store.Charge(ctx, c)
	if !errors.Is(err, ratelimit.ErrLimited) {
		if err != nil {
			return nil, fmt.Errorf("alert budget: %w", err)
		}
		return &c, nil
	}
	log.Warn("alert held back: ALERT_LIMIT used up", "until", c.Until)
	if err := h.metrics.Put(nil, metric.Value{Def: metric.AlertsHeldBack, Value: 1}); err != nil {
		log.Warn("count alert held back", "err", err)
	}
	if err := h.summary(ctx, log, c, now); err != nil {
		return nil, err
	}
	return &c, ratelimit.ErrLimited
}

// summary sends the window's one email about the requests over the
// budget, unless another lead did. A failure releases the claim and fails
// the record: its retry, or the next lead over the budget, sends it.
func (h *Handler) summary(ctx context.Context, log *slog.Logger, c ratelimit.Charge, now time.Time) error {
	limit := h.cfg.AlertLimit
	since := limit.Since(c)
	key := budgetSummary + strconv.FormatInt(since.Unix(), 10)
	switch err := h.store.ClaimRun(ctx, key, now, summaryLease, c.Until.Sub(now)+24*time.Hour); {
	case errors.Is(err, lead.ErrRunTaken):
		return nil
	case err != nil:
		return fmt.Errorf("alert budget summary: %w", err)
	}
	b := emails.Budget{Arrived: c.Limit + 1, Limit: c.Limit, Window: limit.Window, Since: since, Until: c.Until, Inbox: h.cfg.PublicBaseURL + "/staff"}
	content, err := emails.BudgetEmail(b, h.clinic())
	if err == nil {
		var id string
		if id, err = h.sender.Send(ctx, h.message(h.cfg.ClinicEmails, content)); err == nil {
			log.Info("alert budget summary sent", "messageId", id, "until", c.Until)
			if err := h.store.FinishRun(ctx, key); err != nil {
				log.Error("alert budget summary sent but not recorded", "err", err)
			}
			return nil
		}
	}
	if rerr := h.store.ReleaseRun(ctx, key); rerr != nil {
		log.Error("release alert budget summary", "err", rerr)
	}
	return fmt.Errorf("alert budget summary: %w", err)
}

// arm sets the lead's response-guard schedule. A failure is logged and no
// more: the daily digest still lists the lead, and retrying the record
// would send nothing new.
func (h *Handler) arm(ctx context.Context, log *slog.Logger, l lead.Lead, now time.Time) {
	if h.guard == nil || l.Status != lead.StatusNew || l.Nudge != nil {
		return
	}
	due, err := h.guard.Arm(ctx, l.ID, l.GuardFrom(), now)
	if err != nil {
		log.Error("response guard not set; the daily digest still lists the lead", "err", err)
		return
	}
	log.Info("response guard set", "due", due)
}

// alert emails the clinic about l; earlier are its patient's earlier
// requests, newest first (none for a first request).
func (h *Handler) alert(ctx context.Context, log *slog.Logger, l lead.Lead, earlier []lead.Lead, now time.Time) error {
	expires := now.Add(h.cfg.LinkTTL)
	staff := emails.StaffLink{URL: h.signer.StaffLink(h.cfg.PublicBaseURL, l.ID, expires), Expires: expires}
	c, err := emails.Alert(l, earlier, h.clinic(), staff, h.cfg.MinimalDetail)
	if err != nil {
		return fmt.Errorf("render alert: %w", err)
	}
	// No Reply-To: a reply would quote the staff link to the patient. The
	// alert's "Reply to <first name>" link writes to them instead.
	m := h.message(h.cfg.ClinicEmails, c)
	m.Tags = map[string]string{sesmail.TagLead: l.ID, sesmail.TagKind: sesmail.KindAlert} // mailevents records its fate
	id, err := h.sender.Send(ctx, m)
	if err != nil {
		return fmt.Errorf("alert: %w", err)
	}
	// From the lead's storing to SES taking its alert: what the clinic waits.
	latency := float64(h.now().Sub(l.CreatedAt).Milliseconds())
	if err := h.metrics.Put(nil, metric.Value{Def: metric.AlertsSent, Value: 1}, metric.Value{Def: metric.AlertLatency, Value: max(latency, 0)}); err != nil {
		log.Warn("count alert", "err", err)
	}
	// Only once the email went out: a failed record is retried, and the
	// text must not go out once a try.
	h.texts.Send(ctx, log, "alert", texts.Alert(h.cfg.ClinicName, l.ID, staff.URL))
	return h.recorded(log, "alert sent", id, h.store.MarkAlerted(ctx, l.ID, lead.Delivery{At: now, MessageID: id}))
}

func (h *Handler) ack(ctx context.Context, log *slog.Logger, l lead.Lead, now time.Time) error {
	// When to expect the answer: from the lead's arrival, the opening hours
	// and RESPONSE_SLA, as the response guard counts them.
	c, err := emails.Ack(l, h.clinic(), emails.Answer{Hours: h.cfg.Guard.Hours, SLA: h.cfg.Guard.SLA})
	if err != nil {
		return fmt.Errorf("render acknowledgement: %w", err)
	}
	m := h.message([]string{l.Email}, c)
	m.Tags = map[string]string{sesmail.TagLead: l.ID, sesmail.TagKind: sesmail.KindAck}
	m.ReplyTo = h.cfg.ClinicEmails[:1] // a visitor's reply reaches the front desk
	id, err := h.sender.Send(ctx, m)
	if refused(err) {
		// SES will not take it however often it is tried (in the sandbox,
		// an address nobody verified): the alert went out, and failing the
		// record would hold up the leads behind it in the stream.
		log.Warn("acknowledgement not sent: SES refused it", "reason", sendFailure(err))
		return nil
	}
	if err != nil {
		return fmt.Errorf("acknowledgement: %w", err)
	}
	return h.recorded(log, "acknowledgement sent", id, h.store.MarkAcknowledged(ctx, l.ID, lead.Delivery{At: now, MessageID: id}))
}

// recorded logs a sent email and what became of recording it.
func (h *Handler) recorded(log *slog.Logger, msg, messageID string, err error) error {
	switch {
	case err == nil:
		log.Info(msg, "messageId", messageID)
		return nil
	case errors.Is(err, lead.ErrAlreadySent):
		// Another delivery of the same record won the race: sent twice, once recorded.
		log.Warn(msg+" twice", "messageId", messageID)
		return nil
	default:
		// The email went out; failing the record would send it again.
		log.Error(msg+" but not recorded", "messageId", messageID, "err", err)
		return nil
	}
}

func (h *Handler) clinic() emails.Clinic {
	return emails.Clinic{Name: h.cfg.ClinicName, Phone: h.cfg.ClinicPhone, TimeZone: h.cfg.TimeZone, BookingURL: h.cfg.BookingURL}
}

func (h *Handler) message(to []string, c emails.Content) sesmail.Message {
	return sesmail.Message{
		From:    h.cfg.From(),
		To:      to,
		Subject: c.Subject,
		Text:    c.Text,
		HTML:    c.HTML,
	}
}
