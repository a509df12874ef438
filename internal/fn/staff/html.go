package staff

import (
	"strconv"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/render/markup"
)

// The staff pages in plain Go: every value goes through markup.Text, every
// href and form action through markup.Href (or markup.URL.Href for the
// tel:, sms: and mailto: links present built), exactly as html/template
// escaped them, so the staff function links no text/template (whose
// reflective method lookup keeps every SDK method in the binary).

// when is s if ok, else "".
func when(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

var (
	esc  = markup.Text
	href = markup.Href
)

const style = `body{margin:0;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:17px;line-height:1.4;color:#1a1a1a;background:#f6f6f6}
main{max-width:36rem;margin:0 auto;padding:10px 14px 24px;background:#fff;min-height:100vh;box-sizing:border-box}
h1{font-size:1.45rem;line-height:1.2;margin:0 0 10px;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:20px 0 6px;padding-top:12px;border-top:1px solid #ddd}
.clinic{margin:0 0 2px;font-size:.85rem;color:#555}
.msg{padding:8px 12px;border-radius:6px;background:#e6f4ea;margin:0 0 10px}
.problem{background:#fdecea}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 10px}
.btn{flex:1 1 0;display:block;box-sizing:border-box;min-height:48px;padding:12px;border-radius:8px;text-align:center;text-decoration:none;font-weight:600;color:#fff;background:#0b57d0;border:2px solid #0b57d0}
.btn.call{flex-basis:100%}
.btn.alt{color:#0b57d0;background:#fff}
button.alt{color:#0b57d0;background:#fff;border:1px solid #0b57d0}
.status{margin:0 0 10px;font-weight:600}
fieldset{border:0;margin:0 0 8px;padding:0;min-width:0}
legend{font-weight:600;padding:0;margin:0 0 4px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:6px}
.row{display:flex;gap:6px}
.opt{display:flex;align-items:center;gap:6px;box-sizing:border-box;min-height:44px;padding:6px 8px;border:1px solid #bbb;border-radius:6px;line-height:1.2}
.row .opt{flex:1 1 0}
.opt input{margin:0;width:20px;height:20px;flex:none}
.field{display:flex;align-items:center;gap:8px;margin:0}
.field+.hint{margin:2px 0 6px}
.field label{flex:none}
input[type=datetime-local]{flex:1 1 auto;min-width:0;font:inherit;padding:6px;border:1px solid #bbb;border-radius:6px}
textarea{display:block;width:100%;box-sizing:border-box;font:inherit;padding:6px 8px;border:1px solid #bbb;border-radius:6px;margin-top:2px}
button{width:100%;min-height:48px;padding:12px;font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:8px;margin-top:10px}
.err{color:#b3261e;font-weight:600;margin:0 0 8px}
.hint{font-size:.85rem;color:#555}
dl{margin:0}dt{font-size:.85rem;color:#555;margin-top:6px}dd{margin:0}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.history{margin:0;padding:0;list-style:none}
.history li{padding:6px 0;border-bottom:1px solid #eee}
.when{display:block;font-size:.85rem;color:#555}
.speed{margin:0}
details{margin-top:16px}
summary{color:#0b57d0;padding:8px 0}
a{color:#0b57d0}
nav{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;margin:0 0 8px;font-size:.9rem}
nav .who{flex:1 1 auto;color:#555;overflow-wrap:anywhere}
nav form{margin:0}
nav button{width:auto;min-height:36px;margin:0;padding:6px 12px;color:#0b57d0;background:#fff;border:1px solid #0b57d0}
label.block{display:block;font-weight:600;margin:8px 0 4px}
input[type=email],input[type=search],input.code{display:block;width:100%;box-sizing:border-box;font:inherit;padding:10px;border:1px solid #bbb;border-radius:6px}
input.code{font-size:1.4rem;letter-spacing:.3em}
.filters{display:flex;gap:6px;margin:0 0 8px}
.filters a{flex:1 1 0;text-align:center;padding:8px 4px;border:1px solid #0b57d0;border-radius:6px;text-decoration:none}
.filters a[aria-current]{color:#fff;background:#0b57d0}
.search{display:flex;gap:6px;margin:0 0 8px}
.search button{width:auto;margin:0}
.rows{list-style:none;margin:0;padding:0}
.rows li{border-bottom:1px solid #eee;padding-bottom:8px}
.rows a.lead{display:block;padding:8px 0 2px;text-decoration:none;color:inherit}
.held{margin:0 0 10px}
form.delete{margin-top:10px}
form.delete button{margin-top:6px}
.opt.dup{margin-top:8px}
.rows .name{color:#0b57d0;font-weight:600;overflow-wrap:anywhere}
.rows .meta{display:block;font-size:.85rem;color:#555}
.overdue{color:#b3261e;font-weight:600}
.pager{display:flex;justify-content:space-between;margin-top:12px}
h3{font-size:.95rem;margin:14px 0 4px}
.chart{margin:6px 0}
.chart svg{display:block;height:auto}
.scroll{overflow-x:auto;margin:4px 0 8px}
.scroll table{border-collapse:collapse;font-size:.8rem}
.scroll th,.scroll td{padding:2px 6px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}
.scroll th:first-child{text-align:left}
form.span{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:0 0 8px}
form.span input{font:inherit;padding:4px;border:1px solid #bbb;border-radius:6px}
form.span button{width:auto;margin:0;min-height:36px;padding:6px 12px}
input.confirm{display:block;width:100%;box-sizing:border-box;font:inherit;padding:10px;border:1px solid #bbb;border-radius:6px}
`

// pageHTML is view v as a page.
func pageHTML(v view) string {
	var b markup.Builder
	b.Add(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>`, esc(v.Title), " - ", esc(v.Clinic), "</title>\n<style>\n", style, "</style>\n</head>\n<body>\n<main>\n",
		`<p class="clinic">`, esc(v.Clinic), "</p>")
	if n := v.Nav; n != nil {
		b.Add("\n", `<nav aria-label="Staff">`, "\n", `<span class="who">`)
		if n.Email != "" {
			b.Add("Signed in as ", esc(n.Email))
		} else {
			b.Add("Opened from an emailed link")
		}
		b.Add("</span>\n", `<a href="`, href(n.Inbox), `">`)
		if n.Email != "" {
			b.Add("Inbox")
		} else {
			b.Add("Sign in for the inbox")
		}
		b.Add("</a>")
		if n.Figures != "" {
			b.Add("\n", `<a href="`, href(n.Figures), `">Figures</a>`)
		}
		b.Add("\n", `<form method="post" action="`, href(n.SignOutURL), `"><input type="hidden" name="t" value="`, esc(n.Token),
			`"><button type="submit">Sign out</button></form>`, "\n</nav>")
	}
	switch {
	case v.Lead != nil && v.Lead.Name != "":
		b.Add("\n<h1>", esc(v.Lead.Name), "</h1>")
	case v.Lead != nil:
		b.Add("\n<h1>Appointment request</h1>")
	default:
		b.Add("\n<h1>", esc(v.Title), "</h1>")
	}
	if v.Message != "" {
		b.Add("\n", `<p class="msg`, when(v.Problem, " problem"), `" role="status">`, esc(v.Message), "</p>")
	}
	if v.SignIn != nil {
		signInPart(&b, v.SignIn)
	}
	if v.Inbox != nil {
		inboxPart(&b, v.Inbox)
	}
	if v.Held != nil {
		heldPart(&b, v.Held)
	}
	if v.Lead != nil {
		leadPart(&b, v.Lead)
	}
	if v.Figures != nil {
		figuresPart(&b, v.Figures)
	}
	if v.Erased != nil {
		erasedPart(&b, v.Erased) // patient.go
	}
	b.Add("\n</main>\n</body>\n</html>\n")
	return b.String()
}

func signInPart(b *markup.Builder, s *signInView) {
	if s.Limited {
		b.Add("\n<p>No code was sent just now: codes are limited to ", strconv.Itoa(access.CodesPerHour),
			" an hour for one address from one network (a clinic often shares one), and ", strconv.Itoa(access.CodesPerAddressHour),
			" an hour for one address in all.</p>\n",
			`<p><strong>Ask for a new code after `, esc(s.TryAgain), ".</strong></p>\n",
			"<p>A code that came in the last 10 minutes still works: enter it with your email address.</p>\n",
			`<form method="post" action="signin">`, "\n",
			`<input type="hidden" name="next" value="`, esc(s.Next), `">`, "\n",
			`<label class="block" for="email">Email</label>`, "\n",
			`<input type="email" id="email" name="email" autocomplete="email" required>`, "\n",
			`<label class="block" for="code">Code</label>`, "\n",
			`<input class="code" type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 -]*" maxlength="9" required>`, "\n",
			`<button type="submit">Sign in</button>`, "\n</form>")
		return
	}
	if s.CodeStep {
		b.Add("\n<p>If ", esc(s.Email), " may sign in, a 6-digit code is on its way to it. It works once, for 10 minutes.</p>\n",
			`<form method="post" action="signin">`, "\n",
			`<input type="hidden" name="email" value="`, esc(s.Email), `">`, "\n",
			`<input type="hidden" name="next" value="`, esc(s.Next), `">`)
		if s.Error != "" {
			b.Add("\n", `<p class="err" id="code-error" role="alert">`, esc(s.Error), "</p>")
		}
		b.Add("\n", `<label class="block" for="code">Code</label>`, "\n",
			`<input class="code" type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 -]*" maxlength="9" required autofocus`,
			when(s.Error != "", ` aria-describedby="code-error"`), ">\n",
			`<button type="submit">Sign in</button>`, "\n</form>\n",
			`<form method="post" action="signin">`, "\n",
			`<input type="hidden" name="email" value="`, esc(s.Email), `">`, "\n",
			`<input type="hidden" name="next" value="`, esc(s.Next), `">`, "\n",
			`<button type="submit" class="alt">Send a new code</button>`, "\n</form>")
		return
	}
	b.Add("\n<p>Sign in with the email address the clinic uses for you: a code to sign in comes to it.</p>\n",
		`<form method="post" action="signin">`, "\n",
		`<input type="hidden" name="next" value="`, esc(s.Next), `">`)
	if s.Error != "" {
		b.Add("\n", `<p class="err" id="email-error" role="alert">`, esc(s.Error), "</p>")
	}
	b.Add("\n", `<label class="block" for="email">Email</label>`, "\n",
		`<input type="email" id="email" name="email" value="`, esc(s.Email), `" autocomplete="email" required autofocus`,
		when(s.Error != "", ` aria-describedby="email-error"`), ">\n",
		`<button type="submit">Email me a code</button>`, "\n</form>")
}

func inboxPart(b *markup.Builder, in *inboxView) {
	if in.Held != "" {
		b.Add("\n", `<p class="held"><a href="staff/held">Held as likely spam: `, esc(in.Held), "</a> (nobody was alerted; release any real patient's)</p>")
	}
	b.Add("\n", `<div class="filters">`)
	for _, f := range in.Filters {
		b.Add("\n", `<a href="`, href(f.Href), `"`, when(f.Current, ` aria-current="page"`), ">", esc(f.Label), "</a>")
	}
	b.Add("\n</div>\n", `<form class="search" method="get" action="staff" role="search">`, "\n",
		`<input type="hidden" name="show" value="`, esc(in.Show), `">`, "\n",
		`<input type="search" name="q" value="`, esc(in.Search), `" aria-label="Search by name, email, phone digits or request number" placeholder="Name, email, phone or request number">`, "\n",
		`<button type="submit">Search</button>`, "\n</form>")
	for _, s := range in.Sections {
		b.Add("\n<h2>", esc(s.Title), "</h2>\n", `<ul class="rows">`)
		for _, r := range s.Rows {
			b.Add("\n", `<li><a href="`, href(r.Href), `" class="lead"><span class="name">`, esc(r.Name), "</span>")
			if r.Requests != "" {
				b.Add(" · ", esc(r.Requests))
			}
			b.Add("</a>\n", `<span class="meta">`)
			switch {
			case r.Call != "":
				b.Add(`<a href="`, r.Call.Href(), `">`, esc(r.Phone), "</a> · ")
			case r.Phone != "":
				b.Add(esc(r.Phone), " · ")
			}
			b.Add("Prefers ", esc(r.Prefers), "</span>\n",
				`<span class="meta">`, esc(r.Tries), " · next: <span", when(r.Overdue, ` class="overdue"`), ">", esc(r.Due), "</span></span>\n",
				`<span class="meta">Received `, esc(r.Received))
			if r.Alert != "" {
				b.Add(` · <span class="overdue">`, esc(r.Alert), "</span>")
			}
			b.Add("</span></li>")
		}
		b.Add("\n</ul>")
	}
	if len(in.Sections) == 0 {
		if in.Search != "" {
			b.Add("\n<p>No request matches that search", when(in.Cut, " among the first requests read"), ".</p>")
		} else {
			b.Add("\n<p>No requests here.</p>")
		}
	}
	if in.Cut {
		b.Add("\n", `<p class="hint">The search stopped after reading many requests.</p>`)
	}
	b.Add("\n", `<div class="pager">`)
	pager(b, in.First, in.Next, when(in.Cut, "Search further")+when(!in.Cut, "Next page"))
	b.Add("\n</div>")
}

// pager is the links to the first and the next page.
func pager(b *markup.Builder, first, next, nextWords string) {
	if first != "" {
		b.Add(`<a href="`, href(first), `">First page</a>`)
	} else {
		b.Add("<span></span>")
	}
	if next != "" {
		b.Add(`<a href="`, href(next), `">`, nextWords, "</a>")
	}
}

func heldPart(b *markup.Builder, v *heldView) {
	b.Add("\n<p>Requests the form's bot traps caught: nobody was alerted, and they are deleted after a few days. Release a real patient's request to make it a normal request (the clinic is alerted as usual); delete the rest.</p>")
	if len(v.Rows) > 0 {
		b.Add("\n", `<ul class="history">`)
		for _, r := range v.Rows {
			name := "(no name)"
			if r.Name != "" {
				name = esc(r.Name)
			}
			b.Add("\n<li>\n", `<span class="when">`, esc(r.When), ": ", esc(r.Why), "</span>\n<dl>\n",
				`<dt>Name</dt><dd class="text">`, name, "</dd>")
			if r.Phone != "" {
				b.Add("<dt>Phone</dt><dd>", esc(r.Phone), "</dd>")
			}
			if r.Email != "" {
				b.Add(`<dt>Email</dt><dd class="text">`, esc(r.Email), "</dd>")
			}
			b.Add("\n<dt>Prefers</dt><dd>", esc(r.Prefers), "</dd>")
			if r.Reason != "" {
				b.Add(`<dt>Reason</dt><dd class="text">`, esc(r.Reason), "</dd>")
			}
			if r.Page != "" {
				b.Add(`<dt>Sent from</dt><dd class="text">`, esc(r.Page), "</dd>")
			}
			confirm := esc("confirm-" + r.ID)
			b.Add("\n</dl>\n",
				`<form method="post" action="`, href(r.URL), `"><input type="hidden" name="t" value="`, esc(v.Token), `"><input type="hidden" name="action" value="release"><button type="submit">Release as a request</button></form>`, "\n",
				`<form method="post" action="`, href(r.URL), `" class="delete"><input type="hidden" name="t" value="`, esc(v.Token), `"><input type="hidden" name="action" value="delete">`, "\n",
				`<label class="opt" for="`, confirm, `"><input type="checkbox" id="`, confirm, `" name="confirm" value="yes" required> Not a real patient: delete it for good</label>`, "\n",
				`<button class="alt" type="submit">Delete</button></form>`, "\n</li>")
		}
		b.Add("\n</ul>")
	} else {
		b.Add("\n<p>No requests are held.</p>")
	}
	if v.First != "" || v.Next != "" {
		b.Add("\n", `<p class="pager">`)
		pager(b, v.First, v.Next, "Next page")
		b.Add("\n</p>")
	}
	b.Add("\n")
}

func leadPart(b *markup.Builder, l *leadView) {
	if l.Call != "" || l.Text != "" || l.Mail != "" {
		b.Add("\n", `<div class="actions">`)
		if l.Call != "" {
			b.Add("\n", `<a class="btn call" href="`, l.Call.Href(), `">Call `, esc(l.Phone), "</a>")
		}
		if l.Text != "" {
			b.Add("\n", `<a class="btn alt" href="`, l.Text.Href(), `">Text</a>`)
		}
		if l.Mail != "" {
			b.Add("\n", `<a class="btn alt" href="`, l.Mail.Href(), `">Email</a>`)
		}
		b.Add("\n</div>")
	}
	b.Add("\n", `<p class="status">`, esc(l.Status), "</p>")
	newerPart(b, l.Patient)
	if l.Closed != "" {
		b.Add("\n", `<p class="msg" role="note">This request is closed (`, esc(l.Closed), `); nothing can be recorded on it from an emailed link. <a href="`,
			href(l.SignIn), `">Sign in to reopen or correct it</a>.</p>`)
	}
	if f := l.Attempt; f != nil {
		b.Add("\n", `<form method="post" action="`, href(f.URL), `">`)
		f.hidden(b)
		b.Add("\n<fieldset", when(f.Error != "", ` aria-describedby="attempt-error"`), ">\n<legend>Record an attempt: what came of it?</legend>")
		f.errorHTML(b)
		b.Add("\n", `<div class="grid">`)
		f.outcomes(b)
		b.Add("\n</div>\n</fieldset>\n<fieldset>\n", `<legend class="hint">Tried by</legend>`, "\n", `<div class="row">`)
		for _, c := range f.Channels {
			b.Add("\n", `<label class="opt" for="`, esc(c.ID), `"><input type="radio" id="`, esc(c.ID), `" name="channel" value="`, esc(c.Value), `"`,
				when(c.Checked, " checked"), "> ", esc(c.Label), "</label>")
		}
		b.Add("\n</div>\n</fieldset>")
		f.callback(b)
		f.note(b)
		duplicatesPart(b, l.Patient)
		b.Add("\n", `<button type="submit">Record attempt</button>`, "\n</form>")
	}
	if f := l.Reopen; f != nil {
		b.Add("\n", `<form method="post" action="`, href(f.URL), `">`)
		f.hidden(b)
		b.Add("\n<fieldset", when(f.Error != "", ` aria-describedby="reopen-error"`), ">\n<legend>Reopen this request to record more attempts</legend>")
		f.errorHTML(b)
		f.callback(b)
		f.note(b)
		b.Add("\n</fieldset>\n", `<button type="submit">Reopen</button>`, "\n</form>")
	}
	earlierPart(b, l.Patient)
	b.Add("\n<h2>Details</h2>\n<dl>")
	if l.NextCallback != "" {
		b.Add("\n<dt>Next call-back</dt><dd>", esc(l.NextCallback), "</dd>")
	}
	if l.Phone != "" {
		b.Add("\n<dt>Phone</dt><dd>", esc(l.Phone), "</dd>")
	}
	if l.Email != "" {
		b.Add("\n", `<dt>Email</dt><dd class="text">`, esc(l.Email), "</dd>")
	}
	reason := "None given."
	if l.Reason != "" {
		reason = esc(l.Reason)
	}
	b.Add("\n<dt>Prefers</dt><dd>", esc(l.Prefers), "</dd>\n<dt>Received</dt><dd>", esc(l.Received), "</dd>\n",
		"<dt>Request number</dt><dd>", esc(l.Number), "</dd>\n",
		`<dt>Reason for the visit</dt><dd class="text">`, reason, "</dd>\n<dt>Alert email</dt><dd>", esc(l.Alert), "</dd>")
	if l.CameFrom != "" {
		b.Add("\n", `<dt>Came from</dt><dd class="text">`, esc(l.CameFrom), "</dd>")
	}
	b.Add("\n</dl>\n<h2>Speed to lead</h2>\n", `<p class="speed">First attempt: `, esc(l.FirstAttempt), "</p>\n",
		`<p class="speed">First reached: `, esc(l.FirstReach), "</p>\n<h2>History</h2>")
	if len(l.History) > 0 {
		b.Add("\n", `<ol class="history">`)
		for _, e := range l.History {
			b.Add("\n", `<li><span class="when">`, esc(e.When))
			if e.By != "" {
				b.Add(", by ", esc(e.By))
			}
			b.Add("</span>", esc(e.What))
			if e.Channel != "" {
				b.Add(" (", esc(e.Channel), ")")
			}
			if e.Callback != "" {
				b.Add("; ", esc(e.Callback))
			}
			if e.Note != "" {
				b.Add(`<div class="text">`, esc(e.Note), "</div>")
			}
			b.Add("</li>")
		}
		if l.Older != "" {
			b.Add("\n<li>", esc(l.Older), "</li>")
		}
		b.Add("\n</ol>")
	} else {
		b.Add("\n<p>No attempts yet.</p>")
	}
	if f := l.Correct; f != nil {
		b.Add("\n<details", when(f.Open, " open"), ">\n<summary>Correct the latest outcome (", esc(l.Latest), ")</summary>\n",
			`<form method="post" action="`, href(f.URL), `">`)
		f.hidden(b)
		b.Add("\n<fieldset", when(f.Error != "", ` aria-describedby="correct-error"`), ">\n<legend>What really came of it?</legend>")
		f.errorHTML(b)
		b.Add("\n", `<div class="grid">`)
		f.outcomes(b)
		b.Add("\n</div>\n</fieldset>")
		f.note(b)
		b.Add("\n", `<button type="submit">Correct</button>`, "\n</form>\n</details>")
	}
	if len(l.Access) > 0 {
		b.Add("\n<h2>Access history</h2>\n", `<ol class="history">`)
		for _, a := range l.Access {
			b.Add("\n", `<li><span class="when">`, esc(a.When), "</span>", esc(a.Who), " ", esc(a.What), "</li>")
		}
		b.Add("\n</ol>")
	}
	erasePart(b, l.Erase) // patient.go
}

func (f *form) hidden(b *markup.Builder) {
	b.Add("\n", `<input type="hidden" name="t" value="`, esc(f.Token), `">`, "\n",
		`<input type="hidden" name="v" value="`, strconv.Itoa(f.Version), `">`, "\n",
		`<input type="hidden" name="action" value="`, esc(f.Action), `">`)
}

func (f *form) errorHTML(b *markup.Builder) {
	if f.Error != "" {
		b.Add("\n", `<p class="err" id="`, esc(f.Action), `-error" role="alert">`, esc(f.Error), "</p>")
	}
}

func (f *form) outcomes(b *markup.Builder) {
	for _, c := range f.Outcomes {
		b.Add("\n", `<label class="opt" for="`, esc(c.ID), `"><input type="radio" id="`, esc(c.ID), `" name="outcome" value="`, esc(c.Value), `" required`,
			when(c.Checked, " checked"), "> ", esc(c.Label), "</label>")
	}
}

func (f *form) callback(b *markup.Builder) {
	a := esc(f.Action)
	rhythm := "by the clinic's usual rhythm"
	if f.Action == actReopen {
		rhythm = "due at once"
	}
	b.Add("\n", `<div class="field"><label for="`, a, `-callback">Call back at</label>`, "\n",
		`<input type="datetime-local" id="`, a, `-callback" name="callback" value="`, esc(f.Callback), `" min="`, esc(f.Earliest), `" max="`, esc(f.Latest),
		`" aria-describedby="`, a, `-callback-hint"></div>`, "\n",
		`<p class="hint" id="`, a, `-callback-hint">Optional; if empty, `, rhythm, ".</p>")
}

func (f *form) note(b *markup.Builder) {
	a := esc(f.Action)
	b.Add("\n", `<label for="`, a, `-note">Note <span class="hint">(optional)</span></label>`, "\n",
		`<textarea id="`, a, `-note" name="note" maxlength="1000" rows="2">`, esc(f.Note), "</textarea>")
}
