package submit

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/config"
)

// hostileCase is one bad request: it must get status, and store nothing.
type hostileCase struct {
	name        string
	contentType string
	body        string
	status      int
	change      func(*events.APIGatewayV2HTTPRequest)
}

// withField is the valid JSON body with one field set to raw JSON.
func withField(t *testing.T, field, rawJSON string) string {
	t.Helper()
	var v map[string]json.RawMessage
	if err := json.Unmarshal([]byte(jsonBody(t, nil)), &v); err != nil {
		t.Fatal(err)
	}
	v[field] = json.RawMessage(rawJSON)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func without(t *testing.T, fields ...string) string {
	return jsonBody(t, func(v map[string]any) {
		for _, f := range fields {
			delete(v, f)
		}
	})
}

func hostileCases(t *testing.T) []hostileCase {
	const js, form = "application/json", "application/x-www-form-urlencoded"
	var cases []hostileCase
	add := func(name, ct, body string, status int) {
		cases = append(cases, hostileCase{name: name, contentType: ct, body: body, status: status})
	}

	// Wrong types, including numbers as strings.
	for _, c := range []struct{ field, raw string }{
		{"name", `42`}, {"name", `true`}, {"name", `["Pat"]`}, {"name", `{"first":"Pat"}`},
		{"phone", `2025550143`}, {"email", `["a@example.com"]`}, {"submissionId", `123`},
		{"preferredContact", `["phone"]`}, {"preferredTime", `1`}, {"reason", `{"text":"pain"}`},
		{"consent", `"true"`}, {"consent", `1`}, {"consent", `"on"`}, {"elapsedMs", `"5000"`},
		{"elapsedMs", `12.5`}, {"elapsedMs", `-1`}, {"elapsedMs", `1e30`}, {"page", `42`}, {"utm_source", `{"a":1}`},
		{"consentVersion", `2`},
	} {
		add("wrong type: "+c.field+"="+c.raw, js, withField(t, c.field, c.raw), 400)
	}

	// Missing fields (extra unknown ones do not help).
	add("missing name", js, without(t, "name"), 400)
	add("missing consent", js, without(t, "consent"), 400)
	add("null consent", js, withField(t, "consent", `null`), 400)
	add("neither phone nor email", js, without(t, "phone", "email"), 400)
	add("prefers email, gave none", js, jsonBody(t, func(v map[string]any) { v["preferredContact"] = "email"; delete(v, "email") }), 400)
	add("prefers text, gave no phone", js, jsonBody(t, func(v map[string]any) { v["preferredContact"] = "text"; delete(v, "phone") }), 400)
	add("only unknown fields", js, `{"firstName":"Pat","tel":"2025550143","agree":true}`, 400)
	add("empty object", js, `{}`, 400)

	// Not one JSON object.
	for name, body := range map[string]string{
		"array": `[{"name":"Pat"}]`, "string": `"Pat"`, "number": `42`, "null": `null`, "empty": ``,
		"truncated": `{"name":"Pat"`, "trailing garbage": `{"name":"Pat"} x`, "two objects": `{}{}`,
		"single quotes": `{'name':'Pat'}`, "comment": `{"name":"Pat" /* hi */}`,
	} {
		add("not an object: "+name, js, body, 400)
	}

	// Giant and deeply nested bodies.
	add("17 KB reason", js, withField(t, "reason", `"`+strings.Repeat("a", 17<<10)+`"`), 413)
	add("300 kB name", js, withField(t, "name", `"`+strings.Repeat("a", 300<<10)+`"`), 413)
	add("10 MB body", js, `{"x":"`+strings.Repeat("a", 10<<20)+`"}`, 413)
	add("deep nesting within the cap", js, `{"x":`+strings.Repeat("[", 7000)+strings.Repeat("]", 7000)+`}`, 400)
	add("deep nesting of objects", js, `{"name":"Pat","x":`+strings.Repeat(`{"a":`, 2000)+`1`+strings.Repeat("}", 2000)+`}`, 400)
	// Every required field present: only the nesting is wrong.
	add("complete request, deep arrays in an unknown field", js, withField(t, "x", strings.Repeat("[", 7000)+strings.Repeat("]", 7000)), 400)
	add("complete request, deep objects in an unknown field", js, withField(t, "x", strings.Repeat(`{"a":`, 2500)+`1`+strings.Repeat("}", 2500)), 400)
	add("complete request, 17 levels in an unknown field", js, withField(t, "x", strings.Repeat("[", 17)+strings.Repeat("]", 17)), 400)
	add("complete request, deep arrays as the reason", js, withField(t, "reason", strings.Repeat("[", 7000)+`"pain"`+strings.Repeat("]", 7000)), 400)
	add("complete request, deep objects as the name", js, withField(t, "name", strings.Repeat(`{"n":`, 2500)+`"Pat"`+strings.Repeat("}", 2500)), 400)
	add("complete request, mixed nesting as a UTM value", js, withField(t, "utm_source", strings.Repeat(`[{"a":`, 1500)+`1`+strings.Repeat("}]", 1500)), 400)

	// Invalid UTF-8 and hidden characters.
	add("invalid UTF-8 byte", js, strings.Replace(jsonBody(t, nil), "Siobh", "Siobh\xff", 1), 400)
	add("overlong UTF-8", js, strings.Replace(jsonBody(t, nil), "Siobh", "Siobh\xc0\xaf", 1), 400)
	add("lone surrogate escape", js, withField(t, "name", `"Pat \ud800"`), 400)
	add("NUL in name", js, withField(t, "name", `"Pat\u0000"`), 400)
	add("bidi override in name", js, withField(t, "name", `"Pat \u202egnp.exe"`), 400)
	add("byte-order mark in email", js, withField(t, "email", `"\ufeffpat@example.com"`), 400)
	add("invalid UTF-8 in a form", form, "name=Pat%FF&email=p%40example.com&consent=on", 400)
	add("bad percent-escape in a form", form, "name=Pat%zz&consent=on", 400)

	// CR/LF and Unicode line separators in every single-line field.
	for _, field := range []string{"name", "phone", "email", "preferredContact", "preferredTime", "submissionId", "consentVersion", "page", "utm_campaign"} {
		for sep, esc := range map[string]string{"CRLF": `\r\nBcc: all@example.com`, "LS": `\u2028`, "NEL": `\u0085`} {
			add(sep+" in "+field, js, withField(t, field, `"x`+esc+`y"`), 400)
		}
	}
	add("CRLF in a form field", form, "name=Pat%0D%0ABcc%3A+x%40example.com&email=p%40example.com&consent=on", 400)

	// Markup, and look-alike or malformed emails.
	add("script as a name", js, withField(t, "name", `"<script>alert(1)</script>"`), 400)
	add("javascript: page", js, withField(t, "page", `"javascript:alert(1)"`), 400)
	for _, page := range hostilePages {
		add("redirect payload as page "+page, form, "name=Pat&consent=on&email=p%40example.com&page="+url.QueryEscape(page), 400)
	}
	add("data: page", js, withField(t, "page", `"data:text/html,<script>alert(1)</script>"`), 400)
	add("Cyrillic a in the email domain", js, withField(t, "email", `"pat@ex\u0430mple.com"`), 400)
	add("Cyrillic o in the email user", js, withField(t, "email", `"pat.\u043e@example.com"`), 400)
	add("fullwidth at sign", js, withField(t, "email", `"pat\uff20example.com"`), 400)
	add("email with a display name", js, withField(t, "email", `"Pat <pat@example.com>"`), 400)
	add("two emails", js, withField(t, "email", `"a@example.com,b@example.com"`), 400)

	// mailto: parameters hidden in an address (a live Bcc in every email link).
	for _, email := range []string{
		"x?bcc=attacker%40evil.example&subject=hi@example.com", "x?cc=a@example.com", "a&bcc=b@example.com",
		"a=b@example.com", "a%3Fbcc%3Db@example.com", "a#frag@example.com", "a/b@example.com", `"a?bcc=b"@example.com`,
		"pat@example.com?bcc=attacker@evil.example", "pat@example.com#x", "pat@ex%61mple.com",
	} {
		add("mailto: injection "+email, js, withField(t, "email", strconv.Quote(email)), 400)
		add("mailto: injection in a form "+email, form, "name=Pat&consent=on&email="+url.QueryEscape(email), 400)
	}

	// Names that disguise themselves in an inbox.
	for name, v := range map[string]string{
		"encoded-word name": `"=?utf-8?b?UGF0IDxib3NzQGV4YW1wbGUuY29tPg==?="`, "zero-width space in name": `"Pat\u200bSmith"`,
		"left-to-right mark in name": `"Pat\u200eSmith"`, "right-to-left mark in name": `"\u200fPat"`,
		"word joiner in name": `"Pat\u2060Smith"`, "zero-width joiner in a Latin name": `"Pa\u200dt"`,
	} {
		add(name, js, withField(t, "name", v), 400)
	}

	// Duplicated keys.
	add("duplicated name", js, `{"name":"Pat","name":"Eve","email":"e@example.com","consent":true}`, 400)
	add("duplicated consent", js, `{"name":"Pat","email":"e@example.com","consent":false,"consent":true}`, 400)
	add("duplicate by escape", js, `{"name":"Pat","\u006eame":"Eve","email":"e@example.com","consent":true}`, 400)
	add("duplicated form field", form, "name=Pat&name=Eve&email=e%40example.com&consent=on", 400)

	// Wrong content types.
	for _, ct := range []string{"", "text/plain", "text/html", "application/xml", "multipart/form-data; boundary=x",
		"application/json; charset=latin1", "application/x-www-form-urlencoded; charset=utf-16", "application/jsonx", "*/*"} {
		add("content type "+ct, ct, jsonBody(t, nil), 415)
	}

	// Forged Origin headers.
	for _, origin := range []string{"https://evil.example", "null", "https://www.example-clinic.com.evil.example",
		"https://evil.example/https://www.example-clinic.com", "http://www.example-clinic.com", "https://www.example-clinic.com:444"} {
		cases = append(cases, hostileCase{name: "Origin " + origin, contentType: js, body: jsonBody(t, nil), status: 403,
			change: func(r *events.APIGatewayV2HTTPRequest) { r.Headers["origin"] = origin }})
	}
	cases = append(cases, hostileCase{name: "undecodable base64 body", contentType: form, body: "!!!", status: 400,
		change: func(r *events.APIGatewayV2HTTPRequest) { r.IsBase64Encoded = true }})
	cases = append(cases, hostileCase{name: "GET instead of POST", contentType: js, body: jsonBody(t, nil), status: 405,
		change: func(r *events.APIGatewayV2HTTPRequest) { r.RequestContext.HTTP.Method = http.MethodGet }})
	return cases
}

// hostilePages are page values (and Referers) that would make the thank-you
// redirect an open one if taken for a page of the clinic's site.
var hostilePages = []string{
	"//evil.example", "//evil.example/contact", "https:evil.example", "https:/evil.example", "\\\\evil.example", "/\\evil.example",
	"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "javascript%3Aalert(1)", "java\tscript:alert(1)",
	"data:text/html,<script>alert(1)</script>", "%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "http:\\\\evil.example",
	"\\/evil.example", "evil.example", "/contact",
}

// TestHostileRedirects: a form post's way back (303) only ever leads to a
// page of an allowed origin, whatever its page, its Referer, or
// THANK_YOU_URL's absence; a trapped bot's too.
func TestHostileRedirects(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	valid := "name=Pat&consent=on&email=p%40example.com&elapsedMs=9000"
	var pages []string
	pages = append(pages, hostilePages...)
	pages = append(pages,
		"https://evil.example/", "https://www.example-clinic.com.evil.example/", "https://www.example-clinic.com@evil.example/",
		"https://www.example-clinic.com%40evil.example/", "https://www.example-clinic.com%2F@evil.example/", "https://www.example-clinic.com\\@evil.example/",
		"https://www.example-clinic.com:443@evil.example/", "https://evil.example#https://www.example-clinic.com/",
		"https://evil.example?https://www.example-clinic.com/", "https://www.example-clinic.com//evil.example",
		"https://www.example-clinic.com/\\evil.example", "https://www.example-clinic.com/%2F%2Fevil.example",
		"https://www.example-clinic.com/\t/evil.example", "http://www.example-clinic.com/", "https://www.example-clinic.com:444/",
		"https://WWW.EXAMPLE-CLINIC.COM/contact?next=//evil.example",
	)
	redirected := 0
	for _, page := range pages {
		for how, body := range map[string]string{
			"page":         valid + "&page=" + url.QueryEscape(page),
			"Referer":      valid,
			"trapped page": valid + "&website=x&page=" + url.QueryEscape(page),
		} {
			t.Run(how+" "+page, func(t *testing.T) {
				f := newFixture(t, nil)
				req := sample(t, form, body)
				req.Headers["referer"] = page
				res := f.do(t, req)
				loc := res.Headers["Location"]
				if res.StatusCode != http.StatusSeeOther {
					if loc != "" || res.StatusCode >= 500 {
						t.Errorf("status %d, Location %q", res.StatusCode, loc)
					}
					return
				}
				redirected++
				u, err := url.Parse(loc)
				if err != nil || !slices.Contains(testConfig().AllowedOrigins, strings.ToLower(u.Scheme+"://"+u.Host)) || u.User != nil ||
					strings.ContainsAny(loc, "\\\t\r\n ") || strings.HasPrefix(loc, "//") {
					t.Errorf("redirected to %q", loc)
				}
			})
		}
	}
	if redirected < 10 {
		t.Errorf("only %d cases were redirected: is the way back still taken?", redirected)
	}
}

// TestHostileClients: IPv6 clients share their /64's counter (a client
// given a /64 cannot count each address apart), other /64s do not; an
// IPv4-mapped address counts as its IPv4 address.
func TestHostileClients(t *testing.T) {
	for _, tt := range []struct {
		name  string
		first []string // three accepted requests (the limit)
		then  string
		want  int
	}{
		{"same /64, other addresses", []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a:b:c:d"}, "2001:db8:1:2:ffff:ffff:ffff:ffff", 429},
		{"same /64, other spellings", []string{"2001:db8:1:2::1", "2001:DB8:1:2::1", "2001:0db8:0001:0002:0000:0000:0000:0001"}, "2001:db8:1:2:0::7", 429},
		{"same /64 with a zone", []string{"fe80::1%eth0", "fe80::2%eth1", "fe80::3"}, "fe80::4%eth0", 429},
		{"IPv4-mapped", []string{"198.51.100.7", "::ffff:198.51.100.7", "::ffff:c633:6407"}, "198.51.100.7", 429},
		{"the next /64", []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"}, "2001:db8:1:3::1", 201},
		{"another /48", []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"}, "2001:db8:2:2::1", 201},
		{"the IPv4 beside", []string{"198.51.100.7", "198.51.100.7", "198.51.100.7"}, "198.51.100.8", 201},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil) // 3 per hour
			send := func(ip string) int {
				req := sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") }))
				req.RequestContext.HTTP.SourceIP = ip
				return f.do(t, req).StatusCode
			}
			for _, ip := range tt.first {
				if got := send(ip); got != http.StatusCreated {
					t.Fatalf("%s: status %d", ip, got)
				}
			}
			if got := send(tt.then); got != tt.want {
				t.Errorf("%s: status %d, want %d", tt.then, got, tt.want)
			}
			for _, ip := range append(tt.first, tt.then) {
				if ip, _, _ := strings.Cut(ip, "%"); strings.Contains(f.logs.String(), ip) {
					t.Errorf("the client address %s reached the logs", ip)
				}
			}
		})
	}
}

// TestHostileInput: each hostile request gets its 4xx, with a JSON body
// that echoes nothing it was sent, and stores nothing.
func TestHostileInput(t *testing.T) {
	cases := hostileCases(t)
	if len(cases) < 60 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			req := sample(t, tc.contentType, tc.body)
			if tc.change != nil {
				tc.change(&req)
			}
			res := f.do(t, req)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, res.Body)
			}
			var body map[string]any
			if res.Headers["Content-Type"] == "text/html; charset=utf-8" { // a form post's 400 (f.do checks which)
				if !strings.Contains(res.Body, "<h1>Please check your request</h1>") {
					t.Errorf("body %q is not the page naming what to fix", res.Body)
				}
			} else if err := json.Unmarshal([]byte(res.Body), &body); err != nil || body["error"] == "" {
				t.Errorf("body %q is not a JSON error", res.Body)
			}
			for _, echo := range []string{"script", "Bcc", "evil", "\u2028", "\ufeff"} {
				if strings.Contains(res.Body, echo) {
					t.Errorf("the answer echoes %q: %s", echo, res.Body)
				}
			}
			if n := len(f.store.Leads()); n != 0 {
				t.Errorf("%d leads stored", n)
			}
		})
	}
}

// TestRealWorldInputIsAcceptedIntact: names and numbers from several
// countries go through the handler and are stored as the visitor wrote them
// (phones as E.164).
func TestRealWorldInputIsAcceptedIntact(t *testing.T) {
	tests := []struct{ name, phone, region, wantPhone string }{
		{"Siobhán O'Brien-Núñez", "(202) 555-0143", "US", "+12025550143"},
		{"山田 太郎", "03-1234-5678", "JP", "+81312345678"},
		{"Zoë Ðorđević", "+381 11 123 4567", "US", "+381111234567"},
		{"Nguyễn Thị Minh Khai", "+84 24 3825 3425", "US", "+842438253425"},
		{"Ólafur Ragnar Grímsson", "+354 551 2345", "US", "+3545512345"},
		{"Jean-Luc Picard", "01 23 45 67 89", "FR", "+33123456789"},
		{"Mary-Kate O’Neil", "020 7946 0958", "GB", "+442079460958"},
		{"محمد بن سلمان", "+966 50 123 4567", "US", "+966501234567"},
		{"Søren Kierkegaard", "+45 32 12 34 56", "US", "+4532123456"},
		{"Łukasz Żółć", "+48 501 234 567", "US", "+48501234567"},
		{"Παναγιώτης Παπαδόπουλος", "+30 21 0123 4567", "US", "+302101234567"},
		{"Ngũgĩ wa Thiong'o", "+254 712 345678", "US", "+254712345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Submit) { c.PhoneRegion = tt.region })
			res := f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) {
				v["name"], v["phone"] = tt.name, tt.phone
				delete(v, "submissionId")
			})))
			if res.StatusCode != 201 {
				t.Fatalf("status %d: %s", res.StatusCode, res.Body)
			}
			l := f.store.Leads()[0]
			if l.Name != tt.name || l.Phone != tt.wantPhone {
				t.Errorf("stored %q %q, want %q %q", l.Name, l.Phone, tt.name, tt.wantPhone)
			}
		})
	}
	t.Run("as a form post", func(t *testing.T) {
		f := newFixture(t, nil)
		req := sample(t, "application/x-www-form-urlencoded", "")
		body := "name=" + "%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E" + "&phone=%2B81+3-1234-5678&consent=on&page=https%3A%2F%2Fwww.example-clinic.com%2F"
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
		if res := f.do(t, req); res.StatusCode != http.StatusSeeOther || f.store.Leads()[0].Name != "山田 太郎" {
			t.Errorf("status %d, stored %v", res.StatusCode, f.store.Leads())
		}
	})
}
