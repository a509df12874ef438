package lead

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/phone"
)

var rules = phoneRules("US", Rules{ConsentVersion: "1"})

// phoneRules is r reading numbers as dialled in region, as submit sets it.
func phoneRules(region string, r Rules) Rules {
	n := phone.Normalizer{Region: region}
	r.PhoneRegion, r.PhoneExample = region, n.Example()
	r.Phone = func(v string) (string, string, PhoneProblem) {
		e164, display, p := n.Format(v)
		return e164, display, map[phone.Problem]PhoneProblem{
			phone.NoProblem: PhoneRead, phone.NotANumber: PhoneNotANumber, phone.NoAreaCode: PhoneNoAreaCode, phone.TooShort: PhoneTooShort,
		}[p]
	}
	return r
}

// valid is a complete JSON submission; cases change one thing at a time.
func valid() map[string]any {
	return map[string]any{
		"submissionId":     "8F14E45F-CEEA-4E7A-9A3B-2C5D1E8B7A10",
		"name":             "  Siobhán O'Brien-Núñez ",
		"phone":            "(202) 555-0143",
		"email":            "Siobhan@Example.COM",
		"preferredContact": "phone",
		"preferredTime":    "morning",
		"reason":           "Lower back pain\r\nfor three weeks",
		"consent":          true,
		"consentVersion":   "2026-01",
		"website":          "",
		"elapsedMs":        15000,
		"page":             "https://www.example-clinic.com/blog/back-pain?x=1",
		"utm_source":       "newsletter",
		"gclid":            "Cj0KCQjw",
		"referrer":         "https://www.Google.com/search?q=back+pain",
		"landingPath":      "/blog/back-pain?utm_source=newsletter",
		"unknownField":     map[string]any{"nested": []any{1, 2, 3}},
	}
}

func TestNormalizeValid(t *testing.T) {
	sub := decodeJSON(t, valid())
	got, err := Normalize(sub, rules)
	if err != nil {
		t.Fatal(err)
	}
	want := Request{
		SubmissionID:     "8f14e45f-ceea-4e7a-9a3b-2c5d1e8b7a10",
		Name:             "Siobhán O'Brien-Núñez",
		Phone:            "+12025550143",
		PhoneDisplay:     "(202) 555-0143",
		Email:            "Siobhan@example.com",
		PreferredContact: ByPhone,
		PreferredTime:    Morning,
		Reason:           "Lower back pain\nfor three weeks",
		ConsentVersion:   "2026-01",
		Page:             "https://www.example-clinic.com/blog/back-pain", // an old snippet's query dropped
		UTM:              map[string]string{"utm_source": "newsletter", "gclid": "Cj0KCQjw"},
		Referrer:         "https://www.google.com", // which site, not its search
		LandingPath:      "/blog/back-pain",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Normalize (-got +want):\n%s", diff)
	}
}

func TestNormalizeAcceptsRealWorldInput(t *testing.T) {
	tests := []struct {
		name, field, in, want string
	}{
		{"Irish name with accents", "name", "Siobhán O'Brien-Núñez", "Siobhán O'Brien-Núñez"},
		{"Japanese name", "name", "山田 太郎", "山田 太郎"},
		{"Arabic name", "name", "محمد بن سلمان", "محمد بن سلمان"},
		{"Hindi name with joiners", "name", "अनुष्का शर्मा", "अनुष्का शर्मा"},
		{"decomposed accents become NFC", "name", "Jose\u0301 Mun\u0303oz", "José Muñoz"},
		{"single-letter given name", "name", "J Smith", "J Smith"},
		{"US number with dots", "phone", "202.555.0143", "+12025550143"},
		{"US number with +1", "phone", "+1 (202) 555-0143", "+12025550143"},
		{"UK number", "phone", "+44 20 7946 0958", "+442079460958"},
		{"German mobile", "phone", "+49 151 23456789", "+4915123456789"},
		{"Japanese number", "phone", "+81 3-1234-5678", "+81312345678"},
		{"Indian mobile", "phone", "+91 98765 43210", "+919876543210"},
		{"Brazilian mobile", "phone", "+55 11 91234-5678", "+5511912345678"},
		{"plus-addressed email", "email", "pat+clinic@mail.example.org", "pat+clinic@mail.example.org"},
		{"upper-case domain", "email", "PAT@EXAMPLE.ORG", "PAT@example.org"},
		{"email with an apostrophe, dots, dashes and underscores", "email", "o'brien.mary-kate_2@mail-1.example.ie", "o'brien.mary-kate_2@mail-1.example.ie"},
		{"Persian name with a zero-width non-joiner", "name", "علی‌رضا محمدی", "علی‌رضا محمدی"},
		{"Sinhala name with a zero-width joiner", "name", "ශ්‍රී ලංකා", "ශ්‍රී ලංකා"},
		{"page with a query and fragment (an old snippet)", "page", "https://www.example-clinic.com/contact?email=mary%40example.com&utm_source=x#form", "https://www.example-clinic.com/contact"},
		{"page with a fragment only", "page", "https://www.example-clinic.com/#lf", "https://www.example-clinic.com/"},
		{"reason with line breaks", "reason", "Knee pain.\n\nWorse on stairs.", "Knee pain.\n\nWorse on stairs."},
		{"reason with Unicode line separator", "reason", "a\u2028b", "a\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := valid()
			v[tt.field] = tt.in
			got, err := Normalize(decodeJSON(t, v), rules)
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if g := fieldOf(got, tt.field); g != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, g, tt.want)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]any)
		fields []string // every field the error must name, and no other
	}{
		{"missing name", func(v map[string]any) { delete(v, "name") }, []string{"name"}},
		{"blank name", func(v map[string]any) { v["name"] = "   " }, []string{"name"}},
		{"name without letters", func(v map[string]any) { v["name"] = "12345" }, []string{"name"}},
		{"CR/LF in name", func(v map[string]any) { v["name"] = "Pat\r\nBcc: x@example.com" }, []string{"name"}},
		{"LF in email", func(v map[string]any) { v["email"] = "a@example.com\nBcc: b@example.com" }, []string{"email"}},
		{"line separator in name", func(v map[string]any) { v["name"] = "Pat\u2028Smith" }, []string{"name"}},
		{"NUL in name", func(v map[string]any) { v["name"] = "Pat\x00" }, []string{"name"}},
		{"NUL in reason", func(v map[string]any) { v["reason"] = "pain\x00" }, []string{"reason"}},
		{"bidi override in name", func(v map[string]any) { v["name"] = "Pat \u202Egnp.exe" }, []string{"name"}},
		{"RFC 2047 encoded-word in name", func(v map[string]any) { v["name"] = "=?utf-8?b?UGF0IDxib3NzQGV4YW1wbGUuY29tPg==?=" }, []string{"name"}},
		{"encoded-word inside a name", func(v map[string]any) { v["name"] = "Pat =?iso-8859-1?q?Sm=E9th?=" }, []string{"name"}},
		{"zero-width space in name", func(v map[string]any) { v["name"] = "Pat\u200bSmith" }, []string{"name"}},
		{"zero-width non-joiner between Latin letters", func(v map[string]any) { v["name"] = "Pat\u200cSmith" }, []string{"name"}},
		{"zero-width joiner at the end of a name", func(v map[string]any) { v["name"] = "علی\u200d" }, []string{"name"}},
		{"zero-width joiner before a space", func(v map[string]any) { v["name"] = "علی\u200d رضا" }, []string{"name"}},
		{"left-to-right mark in name", func(v map[string]any) { v["name"] = "Pat\u200eSmith" }, []string{"name"}},
		{"right-to-left mark in name", func(v map[string]any) { v["name"] = "\u200fPat Smith" }, []string{"name"}},
		{"word joiner in name", func(v map[string]any) { v["name"] = "Pat\u2060Smith" }, []string{"name"}},
		{"byte-order mark in name", func(v map[string]any) { v["name"] = "Pat\ufeffSmith" }, []string{"name"}},
		{"bidi embedding in name", func(v map[string]any) { v["name"] = "Pat \u202aSmith" }, []string{"name"}},
		{"bidi isolate in name", func(v map[string]any) { v["name"] = "Pat \u2067Smith\u2069" }, []string{"name"}},
		{"300 kB name", func(v map[string]any) { v["name"] = strings.Repeat("a", 300<<10) }, []string{"name"}},
		{"300 kB reason", func(v map[string]any) { v["reason"] = strings.Repeat("a", 300<<10) }, []string{"reason"}},
		{"name one over the limit", func(v map[string]any) { v["name"] = strings.Repeat("é", MaxName+1) }, []string{"name"}},
		{"bad email", func(v map[string]any) { v["email"] = "pat@localhost" }, []string{"email"}},
		{"email with display name", func(v map[string]any) { v["email"] = "Pat <pat@example.com>" }, []string{"email"}},
		{"homoglyph email", func(v map[string]any) { v["email"] = "pat@exаmple.com" }, []string{"email"}},
		// RFC 5322 allows these in a local part; in a mailto: link they are
		// parameters (a hidden Bcc), so no mailbox a patient uses needs them.
		{"mailto: parameters in the email", func(v map[string]any) { v["email"] = "x?bcc=attacker%40evil.example&subject=hi@example.com" }, []string{"email"}},
		{"? in the email", func(v map[string]any) { v["email"] = "x?@example.com" }, []string{"email"}},
		{"& in the email", func(v map[string]any) { v["email"] = "a&b@example.com" }, []string{"email"}},
		{"= in the email", func(v map[string]any) { v["email"] = "a=b@example.com" }, []string{"email"}},
		{"% in the email", func(v map[string]any) { v["email"] = "a%40b@example.com" }, []string{"email"}},
		{"# in the email", func(v map[string]any) { v["email"] = "a#b@example.com" }, []string{"email"}},
		{"/ in the email", func(v map[string]any) { v["email"] = "a/b@example.com" }, []string{"email"}},
		{"quoted local part", func(v map[string]any) { v["email"] = `"a@b"@example.com` }, []string{"email"}},
		{"other specials in the email", func(v map[string]any) { v["email"] = "a!$*^`{|}~b@example.com" }, []string{"email"}},
		{"? in the email domain", func(v map[string]any) { v["email"] = "pat@example.com?bcc=x" }, []string{"email"}},
		{"= in the email domain", func(v map[string]any) { v["email"] = "pat@ex=ample.com" }, []string{"email"}},
		{"bad phone", func(v map[string]any) { v["phone"] = "555-0100" }, []string{"phone"}},
		{"letters for a phone", func(v map[string]any) { v["phone"] = "call me maybe" }, []string{"phone"}},
		{"neither phone nor email", func(v map[string]any) { delete(v, "phone"); delete(v, "email") }, []string{"email", "phone"}},
		{"prefers phone without one", func(v map[string]any) { delete(v, "phone") }, []string{"phone"}},
		{"prefers text without a phone", func(v map[string]any) { delete(v, "phone"); v["preferredContact"] = "text" }, []string{"phone"}},
		{"prefers email without one", func(v map[string]any) { delete(v, "email"); v["preferredContact"] = "email" }, []string{"email"}},
		{"unknown contact method", func(v map[string]any) { v["preferredContact"] = "fax" }, []string{"preferredContact"}},
		{"unknown time", func(v map[string]any) { v["preferredTime"] = "midnight" }, []string{"preferredTime"}},
		{"no consent", func(v map[string]any) { v["consent"] = false }, []string{"consent"}},
		{"missing consent", func(v map[string]any) { delete(v, "consent") }, []string{"consent"}},
		{"bad consent version", func(v map[string]any) { v["consentVersion"] = "v1 <b>" }, []string{"consentVersion"}},
		{"not a UUID", func(v map[string]any) { v["submissionId"] = "1234" }, []string{"submissionId"}},
		{"braced UUID", func(v map[string]any) { v["submissionId"] = "{8f14e45f-ceea-4e7a-9a3b-2c5d1e8b7a10}" }, []string{"submissionId"}},
		{"javascript page", func(v map[string]any) { v["page"] = "javascript:alert(1)" }, []string{"page"}},
		{"relative page", func(v map[string]any) { v["page"] = "/contact" }, []string{"page"}},
		{"CR in a UTM value", func(v map[string]any) { v["utm_campaign"] = "a\rb" }, []string{"utm_campaign"}},
		{"overlong click id", func(v map[string]any) { v["fbclid"] = strings.Repeat("a", MaxUTM+1) }, []string{"fbclid"}},
		{"javascript referrer", func(v map[string]any) { v["referrer"] = "javascript:alert(1)" }, []string{"referrer"}},
		{"referrer not a URL", func(v map[string]any) { v["referrer"] = "google" }, []string{"referrer"}},
		{"landing path on another host", func(v map[string]any) { v["landingPath"] = "//evil.example/x" }, []string{"landingPath"}},
		{"landing path not a path", func(v map[string]any) { v["landingPath"] = "https://x.example/" }, []string{"landingPath"}},
		{"LF in the landing path", func(v map[string]any) { v["landingPath"] = "/a\nb" }, []string{"landingPath"}},
		{"everything wrong at once", func(v map[string]any) {
			v["name"] = ""
			v["email"] = "nope"
			v["phone"] = "nope"
			v["consent"] = false
		}, []string{"consent", "email", "name", "phone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := valid()
			tt.change(v)
			_, err := Normalize(decodeJSON(t, v), rules)
			checkFields(t, err, tt.fields)
		})
	}
}

// TestDecodeJSONDepth: MaxDepth levels are read; brackets and escaped
// quotes inside strings do not count.
func TestDecodeJSONDepth(t *testing.T) {
	for name, body := range map[string]string{
		"MaxDepth levels":      `{"name":"Pat","x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`,
		"brackets in a string": `{"name":"Pat","reason":"` + strings.Repeat("[{", 500) + `"}`,
		"escaped quotes":       `{"name":"Pat","reason":"\"` + strings.Repeat("[", 100) + `\"","x":[[1]]}`,
	} {
		if s, err := DecodeJSON([]byte(body)); err != nil || s.Name != "Pat" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecodeJSONRejects(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string // nil: the whole body is bad
	}{
		{"not JSON", `name=Pat`, nil},
		{"array", `[{"name":"Pat"}]`, nil},
		{"string", `"Pat"`, nil},
		{"empty", ``, nil},
		{"truncated", `{"name":"Pat"`, nil},
		{"trailing data", `{"name":"Pat"} {}`, nil},
		{"invalid UTF-8", "{\"name\":\"Pat \xff\"}", nil},
		{"deep nesting", `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, nil},
		{"nesting one past MaxDepth in an unknown field", `{"name":"Pat","x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, nil},
		{"nested objects in an unknown field", `{"name":"Pat","x":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat("}", 100) + `}`, nil},
		{"unbalanced, deep", `{"x":` + strings.Repeat("[", 5000), nil},
		{"number for text", `{"name":42}`, []string{"name"}},
		{"object for text", `{"email":{"a":1}}`, []string{"email"}},
		{"string for consent", `{"consent":"true"}`, []string{"consent"}},
		{"number for consent", `{"consent":1}`, []string{"consent"}},
		{"string for elapsedMs", `{"elapsedMs":"5000"}`, []string{"elapsedMs"}},
		{"fraction for elapsedMs", `{"elapsedMs":1.5}`, []string{"elapsedMs"}},
		{"negative elapsedMs", `{"elapsedMs":-1}`, []string{"elapsedMs"}},
		{"string for interacted", `{"interacted":"true"}`, []string{"interacted"}},
		{"number for interacted", `{"interacted":1}`, []string{"interacted"}},
		{"duplicated key", `{"name":"Pat","name":"Eve"}`, []string{"name"}},
		{"duplicated key, escaped", `{"name":"Pat","n\u0061me":"Eve"}`, []string{"name"}},
		{"several bad types", `{"name":1,"phone":true,"utm_source":[]}`, []string{"name", "phone", "utm_source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeJSON([]byte(tt.body))
			checkFields(t, err, tt.fields)
		})
	}
}

func TestDecodeJSONIgnoresUnknownFieldsAndNulls(t *testing.T) {
	got, err := DecodeJSON([]byte(`{"name":"Pat","phone":null,"extra":{"a":[1,{"b":null}]},"Name":7}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, Submission{Name: "Pat"}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestDecodeForm(t *testing.T) {
	got, err := DecodeForm([]byte("name=Siobh%C3%A1n+O%27Brien&phone=202-555-0143&consent=on&elapsedMs=8000" +
		"&preferredTime=evening&website=&utm_medium=email&submit=Send"))
	if err != nil {
		t.Fatal(err)
	}
	ms := int64(8000)
	want := Submission{
		Name: "Siobhán O'Brien", Phone: "202-555-0143", Consent: true, ElapsedMS: &ms,
		PreferredTime: "evening", UTM: map[string]string{"utm_medium": "email"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestDecodeFormRejects(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"bad escape", "name=%zz", nil},
		{"invalid UTF-8", "name=Pat%FF", []string{"name"}},
		{"duplicated field", "name=Pat&name=Eve", []string{"name"}},
		{"letters for elapsedMs", "elapsedMs=soon", []string{"elapsedMs"}},
		{"interacted twice", "interacted=true&interacted=true", []string{"interacted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeForm([]byte(tt.body))
			checkFields(t, err, tt.fields)
		})
	}
	t.Run("an unticked consent box is no consent", func(t *testing.T) {
		s, err := DecodeForm([]byte("name=Pat&email=p%40example.com&consent=off"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Normalize(s, rules)
		checkFields(t, err, []string{"consent"})
	})
}

func TestIsBot(t *testing.T) {
	ms := func(n int64) *int64 { return &n }
	tests := []struct {
		name string
		sub  Submission
		want bool
	}{
		{"person", Submission{ElapsedMS: ms(9000)}, false},
		{"no timing sent", Submission{}, false},
		{"exactly the minimum", Submission{ElapsedMS: ms(1000)}, false},
		{"too fast", Submission{ElapsedMS: ms(999)}, true},
		{"too fast, typed in", Submission{ElapsedMS: ms(999), Interacted: true}, false},
		{"honeypot filled", Submission{Website: "http://spam.example", ElapsedMS: ms(9000)}, true},
		{"honeypot only spaces", Submission{Website: "  "}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sub.IsBot(time.Second); got != tt.want {
				t.Errorf("IsBot = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPhoneMessages: a number the visitor must fix is told what is
// missing: the area code of a local number ("555-0143" in the US), the
// whole number of one too short even for that, the country code only
// where the number may be another country's. No message repeats the
// number.
func TestPhoneMessages(t *testing.T) {
	tests := []struct {
		region, in, want string
	}{
		{"US", "555-0143", "Please include the area code, such as (201) 555-0123."},
		{"US", "5550143", "Please include the area code, such as (201) 555-0123."},
		{"US", "+1 555 0143", "Please include the area code, such as (201) 555-0123."},
		{"US", "555-014", "This number is too short. Please enter the whole number, such as (201) 555-0123."},
		{"GB", "7946 0958", "Please include the area code, such as 0121 234 5678."},
		{"SG", "6123 456", "This number is too short. Please enter the whole number, such as 6123 4567."},
		{"US", "442079460958", "Please enter a valid phone number, with its country code if it is not a US number."},
		{"US", "+44 20 7946", "Please enter a valid phone number, with its country code if it is not a US number."},
		{"US", "(123) 456-7890", "Please enter a valid phone number, with its country code if it is not a US number."},
		{"US", "call me maybe", "Please enter a valid phone number, with its country code if it is not a US number."},
	}
	for _, tt := range tests {
		t.Run(tt.region+" "+tt.in, func(t *testing.T) {
			v := valid()
			v["phone"] = tt.in
			_, err := Normalize(decodeJSON(t, v), phoneRules(tt.region, rules))
			var bad *InvalidError
			if !errors.As(err, &bad) {
				t.Fatalf("got %v, want an *InvalidError", err)
			}
			if got := bad.Fields[FieldPhone]; got != tt.want {
				t.Errorf("message %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.FixedZone("EST", -5*3600))
	l := New("id-1", Request{Name: "Pat", ConsentVersion: "3"}, now, 30*24*time.Hour)
	want := Lead{
		ID: "id-1", Status: StatusNew, CreatedAt: now.UTC(), Name: "Pat",
		Consent:   Consent{At: now.UTC(), Version: "3"},
		ExpiresAt: now.UTC().Add(30 * 24 * time.Hour),
	}
	if diff := cmp.Diff(l, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func checkFields(t *testing.T, err error, want []string) {
	t.Helper()
	var bad *InvalidError
	if !errors.As(err, &bad) {
		t.Fatalf("got error %v, want an *InvalidError", err)
	}
	if bad.Message == "" {
		t.Error("no message")
	}
	var got []string
	for f, msg := range bad.Fields {
		got = append(got, f)
		if msg == "" {
			t.Errorf("field %s has no message", f)
		}
	}
	if diff := cmp.Diff(got, want, cmpSorted); diff != "" {
		t.Errorf("fields named (-got +want):\n%s", diff)
	}
}

// Requests of the same minute, without the form's script, get UUIDv7 ids
// that share their first characters: their numbers must still differ.
func TestRequestNumberTellsTheMinutesRequestsApart(t *testing.T) {
	a, b := "019aef3c-7d21-7a4b-9c1e-3f2a9c1e5a10", "019aef3c-7d21-7f00-8b2d-0c44d9e1b7f2"
	if RequestNumber(a) == RequestNumber(b) {
		t.Fatalf("two requests of one minute share the number %q", RequestNumber(a))
	}
	if got := (Lead{ID: a}).Number(); got != "9c1e5a10" {
		t.Errorf("number of %s = %q, want its last 8 characters", a, got)
	}
	if got := RequestNumber("short"); got != "short" {
		t.Errorf("number of a short id = %q, want it whole", got)
	}
}
