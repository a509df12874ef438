package submit

import (
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
)

// back is the fix page's link back to the form's page, when that is on an
// allowed site; else "".
func (h *Handler) back(page string) string {
	u := h.onSite(page)
	if u == nil {
		return ""
	}
	q := u.Query()
	for _, k := range thankYouQuery {
		q.Del(k)
	}
	u.RawQuery, u.Fragment = q.Encode(), ""
	return u.String()
}

// fieldLabels name the form's fields as its labels do, in the form's order.
var fieldLabels = []struct{ field, label string }{
	{lead.FieldName, "Your name"},
	{lead.FieldPhone, "Phone"},
	{lead.FieldEmail, "Email"},
	{lead.FieldPreferredContact, "How should we contact you?"},
	{lead.FieldPreferredTime, "Best time to reach you"},
	{lead.FieldReason, "What would you like help with?"},
	{lead.FieldConsent, "Consent"},
	{lead.FieldTurnstile, "The robot check"},
}

// fixHead is the fix page up to its list of problems.
const fixHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Please check your request</title>
<style>body{margin:0;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:18px;line-height:1.5;color:#1a1a1a}main{max-width:34rem;margin:0 auto;padding:16px}li{margin:0 0 .5rem}a{color:#0b57d0}</style>
</head>
<body>
<main>
<h1>Please check your request</h1>
<p>Your request was not sent yet. Please fix:</p>
<ul>`

// fixPage is the 400 page for a form post: each problem once, named by
// the field's label, in the form's order, and the way back.
func fixPage(bad *lead.InvalidError, back string) events.APIGatewayV2HTTPResponse {
	type problem struct{ Label, Message string }
	var list []problem
	seen := map[string]int{} // message -> its index, so a shared message is said once
	add := func(label, msg string) {
		if i, ok := seen[msg]; ok {
			list[i].Label += " or " + strings.ToLower(label[:1]) + label[1:]
			return
		}
		seen[msg] = len(list)
		list = append(list, problem{label, msg})
	}
	named := map[string]bool{}
	for _, f := range fieldLabels {
		if msg, ok := bad.Fields[f.field]; ok {
			add(f.label, msg)
			named[f.field] = true
		}
	}
	if len(named) < len(bad.Fields) || len(bad.Fields) == 0 {
		// Fields people do not fill in (the page, the form's ids) or a body
		// that could not be read: the form itself is at fault.
		add("The form", "It could not be read. Please go back, reload the page and send it again, or call us.")
	}
	// Plain Go, escaped as html/template would (markup): no text/template
	// in the Lambda binary.
	var b strings.Builder
	b.WriteString(fixHead)
	for _, p := range list {
		b.WriteString("\n<li><strong>" + markup.Text(p.Label) + ":</strong> " + markup.Text(p.Message) + "</li>")
	}
	b.WriteString("\n</ul>\n")
	if back != "" {
		b.WriteString(`<p><a href="` + markup.Href(back) + `">Back to the form</a> (your browser's Back button usually keeps what you typed).</p>`)
	} else {
		b.WriteString(`<p>Use your browser's Back button to return to the form: what you typed is usually still there.</p>`)
	}
	b.WriteString("\n</main>\n</body>\n</html>\n")
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusBadRequest,
		Headers: map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Cache-Control":           "no-store",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		},
		Body: b.String(),
	}
}
