package staff

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// A returning patient's requests read as one story (internal/patient): a
// lead's page names the patient's newer request and lists their earlier
// ones, and recording an attempt may close the older open ones as
// duplicates of this one.

// earlierShown bounds the earlier requests a lead's page reads and lists.
const earlierShown = 10

// closeDuplicates is the attempt form's checkbox value that closes the
// older open requests as duplicates (field `duplicates`).
const closeDuplicates = "close"

// patientView is what a lead's page says of the same patient's other
// requests; nil when it has none to show.
type patientView struct {
	Newer   *otherView  // the newest later request, if it is still kept
	Earlier []otherView // newest first
	More    string      // "and 3 earlier requests" past earlierShown
	// Duplicates offers, on the attempt form, to close the older open
	// requests ("Also close the 1 older open request (12 Nov) as a
	// duplicate of this one"); "" when none is open. Checked keeps the box
	// as staff left it on a refused form.
	Duplicates string
	Checked    bool
}

// otherView is one of the patient's other requests: its day and standing,
// "12 Nov (closed: unreachable after 4 tries)", and its page's URL ("" when
// the session may not open it: a link's session opens only its own).
type otherView struct {
	Words, Href string
}

// patient reads lead l's newer and earlier requests for its page as
// session s sees it. An erased or expired one is left out; one that cannot
// be read is left out and logged, as the page is shown without it.
func (h *Handler) patient(r *request, s access.Session, l lead.Lead) *patientView {
	if l.Newer == "" && len(l.Earlier) == 0 {
		return nil
	}
	v := &patientView{}
	other := func(o lead.Lead) otherView {
		w := otherView{Words: present.AskedBefore(o, h.cfg.TimeZone, r.now)}
		if s.May(o.ID, r.now) {
			w.Href = r.up.to("leads/" + url.PathEscape(o.ID))
		}
		return w
	}
	if n, ok := h.other(r, l.Newer); ok {
		w := other(n)
		v.Newer = &w
	}
	var open []string // the days of the older open requests
	for i, id := range l.Earlier {
		if i == earlierShown {
			v.More = "and " + present.Plural(len(l.Earlier)-i, "earlier request", "earlier requests")
			break
		}
		o, ok := h.other(r, id)
		if !ok {
			continue
		}
		v.Earlier = append(v.Earlier, other(o))
		if o.Status != lead.StatusClosed && s.May(o.ID, r.now) {
			open = append(open, present.Day(o.CreatedAt, h.cfg.TimeZone, r.now))
		}
	}
	if n := len(open); n > 0 {
		as := "duplicates"
		if n == 1 {
			as = "a duplicate"
		}
		v.Duplicates = "Also close the " + present.Plural(n, "older open request", "older open requests") +
			" (" + strings.Join(open, ", ") + ") as " + as + " of this one"
	}
	if v.Newer == nil && len(v.Earlier) == 0 && v.More == "" {
		return nil
	}
	return v
}

// other reads request id of the patient; ok is false when there is none
// to show.
func (h *Handler) other(r *request, id string) (lead.Lead, bool) {
	if id == "" {
		return lead.Lead{}, false
	}
	o, err := h.store.Get(r.ctx, id, r.now)
	switch {
	case errors.Is(err, lead.ErrNotFound): // erased, or past retention
		return lead.Lead{}, false
	case err != nil:
		r.log.Warn("patient's other request not read", "other", id, "err", err)
		return lead.Lead{}, false
	}
	return o, true
}

// closeOlder closes the older open requests of saved's patient (the
// Earlier ones its page lists, that session s may open) as duplicates of
// saved, once an attempt on saved is stored and its form asked for it.
// Each is written over the version read (read again once if it changed
// meanwhile), audited, its response guard removed, and "Lead Closed" put
// on the bus; a closed or missing one is left alone.
func (h *Handler) closeOlder(r *request, s session, saved lead.Lead, by string) {
	for _, id := range saved.Earlier[:min(len(saved.Earlier), earlierShown)] {
		if !s.May(id, r.now) {
			continue
		}
		log := r.log.With("duplicate", id)
		closed, err := h.closeOne(r, id, saved.ID, by)
		switch {
		case errors.Is(err, lead.ErrChanged):
			log.Info("duplicate not closed", "reason", "changed")
			continue
		case err != nil:
			log.Warn("duplicate not closed", "err", err)
			continue
		case closed.ID == "": // closed already, or gone
			continue
		}
		h.audit(r, s.actor(), access.CloseDuplicate, id)
		log.Info("closed as a duplicate", "status", closed.Status, "closed", closed.Closed, "tries", closed.Tries)
		if h.events != nil {
			h.events.Publish(r.ctx, bus.Event{Type: bus.Closed, LeadID: id, At: closed.ClosedAt, Status: string(closed.Status),
				Outcome: string(closed.Closed), Attempts: closed.Attempts()})
		}
		// Not counted in LeadsClosed: a duplicate is no outcome of the
		// clinic's (docs/metrics.md); the figures count it apart.
		if h.guard != nil {
			if err := h.guard.Disarm(r.ctx, id); err != nil {
				log.Warn("response guard not deleted", "err", err)
			}
		}
	}
}

// closeOne closes request id as a duplicate of request of, over the
// version read, reading it again once if it changed meanwhile. The zero
// lead and no error: it is closed already, erased or expired.
func (h *Handler) closeOne(r *request, id, of, by string) (lead.Lead, error) {
	var err error
	for range 2 {
		var o lead.Lead
		o, err = h.store.Get(r.ctx, id, r.now)
		switch {
		case errors.Is(err, lead.ErrNotFound):
			return lead.Lead{}, nil
		case err != nil:
			return lead.Lead{}, err
		case o.Status == lead.StatusClosed:
			return lead.Lead{}, nil
		}
		o.History = slices.Clone(o.History) // the lead as read stays as it was
		if err = o.CloseDuplicate(of, by, r.now); err != nil {
			return lead.Lead{}, err
		}
		var closed lead.Lead
		if closed, err = h.store.Progress(r.ctx, o, r.now); err == nil {
			return closed, nil
		}
		if errors.Is(err, lead.ErrNotFound) { // erased meanwhile
			return lead.Lead{}, nil
		}
		if !errors.Is(err, lead.ErrChanged) {
			return lead.Lead{}, err
		}
	}
	return lead.Lead{}, err
}

// newerPart says the patient's newer request, below the lead's status.
func newerPart(b *markup.Builder, p *patientView) {
	if p == nil || p.Newer == nil {
		return
	}
	b.Add("\n", `<p class="msg" role="note">A newer request from this patient: `)
	otherPart(b, *p.Newer)
	b.Add("</p>")
}

// earlierPart lists the patient's earlier requests, newest first.
func earlierPart(b *markup.Builder, p *patientView) {
	if p == nil || (len(p.Earlier) == 0 && p.More == "") {
		return
	}
	b.Add("\n<h2>Earlier requests</h2>\n", `<ul class="history">`)
	for _, o := range p.Earlier {
		b.Add("\n<li>")
		otherPart(b, o)
		b.Add("</li>")
	}
	if p.More != "" {
		b.Add("\n<li>", esc(p.More), "</li>")
	}
	b.Add("\n</ul>")
}

func otherPart(b *markup.Builder, o otherView) {
	if o.Href == "" {
		b.Add(esc(o.Words))
		return
	}
	b.Add(`<a href="`, href(o.Href), `">`, esc(o.Words), "</a>")
}

// duplicatesPart is the attempt form's offer to close the older open
// requests as duplicates.
func duplicatesPart(b *markup.Builder, p *patientView) {
	if p == nil || p.Duplicates == "" {
		return
	}
	b.Add("\n", `<label class="opt dup" for="attempt-duplicates"><input type="checkbox" id="attempt-duplicates" name="duplicates" value="`,
		closeDuplicates, `"`, when(p.Checked, " checked"), "> ", esc(p.Duplicates), "</label>")
}

// duplicateWords is a duplicate close in a lead's history: "Closed as a
// duplicate of request 5e6f7a8b".
func duplicateWords(e lead.Event) string {
	return "Closed as a duplicate of request " + lead.RequestNumber(e.Of)
}
