package staff

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// getInbox answers GET /staff: the requests to work through, a page at a
// time, for signed-in staff only.
func (h *Handler) getInbox(r *request) events.APIGatewayV2HTTPResponse {
	// Authorize: a session from an emailed link never opens the inbox.
	s, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	q := r.QueryStringParameters
	if s.kind != staffSession {
		next := "staff"
		if r.RawQueryString != "" {
			next += "?" + r.RawQueryString
		}
		return h.toSignIn(r, next)
	}
	// Read the page asked for, then the store.
	show := inbox.Show(q["show"])
	switch show {
	case inbox.ShowOpen, inbox.ShowClosed, inbox.ShowAll:
	default:
		show = inbox.ShowAll
	}
	after, err := inbox.ParseCursor(q["after"])
	if err != nil {
		return h.problem(http.StatusBadRequest, "This page of the inbox cannot be found", "Start again from the first page of the inbox.")
	}
	query := inbox.Query{Show: show, Search: q["q"], After: after, Started: q["after"] != ""}
	p, err := inbox.Read(r.ctx, h.store, query, r.now)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	// Answer.
	r.log.Info("inbox shown", "show", show, "rows", len(p.Rows), "searched", query.Search != "", "page", query.Started)
	v := &inboxView{Show: string(show), Search: query.Search, Cut: p.Cut}
	for _, f := range []inbox.Show{inbox.ShowOpen, inbox.ShowClosed, inbox.ShowAll} {
		v.Filters = append(v.Filters, filterView{Label: filterLabels[f], Href: inboxURL(f, query.Search, nil), Current: f == show})
	}
	last := inbox.Section(-1)
	for _, row := range p.Rows {
		if row.Section != last {
			v.Sections = append(v.Sections, sectionView{Title: sectionTitles[row.Section]})
			last = row.Section
		}
		sec := &v.Sections[len(v.Sections)-1]
		rv := h.rowView(row.Lead, r)
		if row.Requests > 1 {
			rv.Requests = present.Plural(row.Requests, "request", "requests")
		}
		sec.Rows = append(sec.Rows, rv)
	}
	if p.Next != nil {
		v.Next = inboxURL(show, query.Search, p.Next)
	}
	if query.Started {
		v.First = inboxURL(show, query.Search, nil)
	}
	v.Held = h.heldCount(r, s.Session)
	return h.render(http.StatusOK, view{Title: "Requests", Nav: h.nav(r, s.Session), Inbox: v})
}

var filterLabels = map[inbox.Show]string{inbox.ShowOpen: "Open", inbox.ShowClosed: "Closed in the last " + strconv.Itoa(inbox.RecentDays) + " days", inbox.ShowAll: "All"}

var sectionTitles = map[inbox.Section]string{
	inbox.Due:    "Call now: call-backs due and new requests",
	inbox.Later:  "Call later",
	inbox.Recent: "Closed in the last " + strconv.Itoa(inbox.RecentDays) + " days",
}

// inboxURL is a page of the inbox, relative to /staff.
func inboxURL(show inbox.Show, search string, after *inbox.Cursor) string {
	q := url.Values{"show": {string(show)}}
	if search != "" {
		q.Set("q", search)
	}
	if after != nil {
		q.Set("after", after.String())
	}
	return "staff?" + q.Encode()
}

// heldCount is the inbox's word on the requests held for review, for a
// session that may review them: how many are held now (lead.CountHeld: at
// most lead.HeldShown read), "" when none is. The inbox is shown without
// it when they cannot be counted.
func (h *Handler) heldCount(r *request, s access.Session) string {
	if !s.May(access.HeldScope, r.now) {
		return ""
	}
	n, more, err := lead.CountHeld(h.store.HeldList(r.ctx, time.Time{}, "", r.now))
	switch {
	case err != nil:
		r.log.Warn("held requests not counted", "err", err)
		return ""
	case more:
		return strconv.Itoa(n) + " or more requests"
	case n > 0:
		return present.Plural(n, "request", "requests")
	}
	return ""
}

func (h *Handler) rowView(l lead.Lead, r *request) rowView {
	v := rowView{
		Name:     l.Name,
		Href:     "leads/" + url.PathEscape(l.ID),
		Phone:    present.Phone(l),
		Call:     present.Tel(l.Phone),
		Prefers:  prefers(l),
		Received: h.short(l.CreatedAt, r.now) + " (" + present.Age(r.now.Sub(l.CreatedAt)) + " ago)",
		Tries:    present.Plural(l.Attempts(), "try", "tries"),
		Alert:    alertFailed(l.Alert, r.now.Sub(l.CreatedAt)),
	}
	if v.Name == "" {
		v.Name = "(no name)"
	}
	switch {
	case l.Status == lead.StatusNew:
		v.Due = "now (not tried yet)"
	case l.Status == lead.StatusClosed:
		v.Due = "closed: " + present.Closed(l)
	case l.Callback.IsZero() || !l.Callback.After(r.now):
		v.Due, v.Overdue = "now", true
		if !l.Callback.IsZero() {
			v.Due += " (due " + h.short(l.Callback, r.now) + ")"
		}
	default:
		v.Due = h.short(l.Callback, r.now)
	}
	return v
}

// alertGrace is how long a request may wait for its alert before its row
// says none was sent: the stream sends it within seconds.
const alertGrace = 5 * time.Minute

// alertFailed is a row's word on the alert of a lead age old when the
// clinic never got it (the lead's page says it in full,
// present.AlertStatus): bounced, rejected, marked as spam, or not sent
// after alertGrace; "" for an alert that went out (delivered, delayed or
// sent) or may still.
func alertFailed(a *lead.Delivery, age time.Duration) string {
	switch {
	case a == nil && age < alertGrace:
		return ""
	case a == nil:
		return "no alert sent"
	case a.Problem == lead.MailBounced:
		return "alert bounced"
	case a.Problem == lead.MailRejected:
		return "alert rejected by SES"
	case a.Problem == lead.MailComplained:
		return "alert marked as spam"
	}
	return ""
}
