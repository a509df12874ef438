package lead

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Submission is a form post as decoded, before any cleaning: every field is
// the visitor's text as sent.
type Submission struct {
	SubmissionID     string
	Name             string
	Phone            string
	Email            string
	PreferredContact string
	PreferredTime    string
	Reason           string
	Consent          bool
	ConsentVersion   string
	Website          string // honeypot: people never see it, so never fill it
	ElapsedMS        *int64 // how long the form was open; nil when not sent
	Page             string
	UTM              map[string]string // CampaignFields, as sent
	// Interacted: the form's script saw a key pressed, or a click or tap,
	// on the form before it was sent (false when not sent: a form posted
	// without JavaScript, or an older snippet).
	Interacted bool
	// Referrer and LandingPath are the visit's first touch: the site the
	// visitor came from and the first page they saw, as the form kept them
	// for the browsing session.
	Referrer    string
	LandingPath string
	// Turnstile is the Cloudflare Turnstile token the widget adds to the
	// form, when the clinic uses it.
	Turnstile string
}

// Wire names of the fields, as the form sends them and as errors name them.
const (
	FieldSubmissionID     = "submissionId"
	FieldName             = "name"
	FieldPhone            = "phone"
	FieldEmail            = "email"
	FieldPreferredContact = "preferredContact"
	FieldPreferredTime    = "preferredTime"
	FieldReason           = "reason"
	FieldConsent          = "consent"
	FieldConsentVersion   = "consentVersion"
	FieldWebsite          = "website"
	FieldElapsedMS        = "elapsedMs"
	FieldInteracted       = "interacted"
	FieldPage             = "page"
	FieldReferrer         = "referrer"
	FieldLandingPath      = "landingPath"
	FieldTurnstile        = "cf-turnstile-response" // the name Cloudflare's widget gives its field
)

// CampaignFields are the campaign parameters kept with a lead when present:
// the UTM tags and the ad networks' click ids (Google's gclid, Meta's fbclid).
var CampaignFields = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid"}

// InvalidError is a request the visitor must correct: a message for the whole
// request and one per bad field, keyed by the field's wire name. Messages never
// echo what was sent.
type InvalidError struct {
	Message string
	Fields  map[string]string
}

func (e *InvalidError) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for n := range e.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprintf("%s: %s", e.Message, strings.Join(names, ", "))
}

const msgFix = "Please check the highlighted fields."

func malformed(msg string) *InvalidError {
	return &InvalidError{Message: msg, Fields: map[string]string{}}
}

// textFields maps each text field's wire name to where it goes.
func (s *Submission) textFields() map[string]*string {
	m := map[string]*string{
		FieldSubmissionID:     &s.SubmissionID,
		FieldName:             &s.Name,
		FieldPhone:            &s.Phone,
		FieldEmail:            &s.Email,
		FieldPreferredContact: &s.PreferredContact,
		FieldPreferredTime:    &s.PreferredTime,
		FieldReason:           &s.Reason,
		FieldConsentVersion:   &s.ConsentVersion,
		FieldWebsite:          &s.Website,
		FieldPage:             &s.Page,
		FieldReferrer:         &s.Referrer,
		FieldLandingPath:      &s.LandingPath,
		FieldTurnstile:        &s.Turnstile,
	}
	return m
}

// flag is where the yes-or-no field name goes (consent, interacted).
func (s *Submission) flag(name string) *bool {
	if name == FieldInteracted {
		return &s.Interacted
	}
	return &s.Consent
}

func (s *Submission) setUTM(name, v string) {
	if v == "" {
		return
	}
	if s.UTM == nil {
		s.UTM = map[string]string{}
	}
	s.UTM[name] = v
}

func isUTM(name string) bool {
	for _, u := range CampaignFields {
		if u == name {
			return true
		}
	}
	return false
}

// DecodeJSON reads a JSON object. Types are strict (a number where text is
// expected is an error, not a conversion), a known field sent twice is an
// error, unknown fields and null values are ignored.
func DecodeJSON(body []byte) (Submission, error) {
	var s Submission
	if !utf8.Valid(body) {
		return s, malformed("The request is not valid UTF-8.")
	}
	if tooDeep(body) {
		return s, malformed("The request body is nested too deeply.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return s, malformed("The request body must be a JSON object.")
	}
	text := s.textFields()
	seen := map[string]bool{}
	bad := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Submission{}, malformed("The request body is not valid JSON.")
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Submission{}, malformed("The request body is not valid JSON.")
		}
		known := text[key] != nil || key == FieldConsent || key == FieldInteracted || key == FieldElapsedMS || isUTM(key)
		if !known {
			continue
		}
		if seen[key] {
			bad[key] = "This field was sent more than once."
			continue
		}
		seen[key] = true
		if bytes.Equal(raw, []byte("null")) {
			continue
		}
		switch {
		case key == FieldConsent || key == FieldInteracted:
			if err := json.Unmarshal(raw, s.flag(key)); err != nil {
				bad[key] = "Must be true or false."
			}
		case key == FieldElapsedMS:
			n, ok := jsonInt(raw)
			if !ok {
				bad[key] = "Must be a whole number of milliseconds."
				continue
			}
			s.ElapsedMS = &n
		default:
			var v string
			if raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
				bad[key] = "Must be text."
				continue
			}
			if isUTM(key) {
				s.setUTM(key, v)
			} else {
				*text[key] = v
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Submission{}, malformed("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Submission{}, malformed("The request body must hold one JSON object and nothing after it.")
	}
	if len(bad) > 0 {
		return Submission{}, &InvalidError{Message: msgFix, Fields: bad}
	}
	return s, nil
}

// MaxDepth is how deeply JSON may nest objects and arrays: the form sends one
// flat object, so anything deeper is refused before it is decoded (Go's
// decoder would otherwise recurse through thousands of levels).
const MaxDepth = 16

// tooDeep reports JSON nested beyond MaxDepth, brackets in strings aside.
func tooDeep(body []byte) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth > MaxDepth {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

// jsonInt accepts a JSON number that is a non-negative whole number.
func jsonInt(raw json.RawMessage) (int64, bool) {
	var n json.Number
	if raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || i < 0 {
		return 0, false
	}
	return i, true
}

// DecodeForm reads an application/x-www-form-urlencoded body, as a browser
// posts it with JavaScript off. A checkbox sends "on" when ticked.
func DecodeForm(body []byte) (Submission, error) {
	var s Submission
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return s, malformed("The form data is not correctly encoded.")
	}
	text := s.textFields()
	bad := map[string]string{}
	for key, vs := range values {
		known := text[key] != nil || key == FieldConsent || key == FieldInteracted || key == FieldElapsedMS || isUTM(key)
		if !known {
			continue
		}
		if len(vs) > 1 {
			bad[key] = "This field was sent more than once."
			continue
		}
		v := vs[0]
		if !utf8.ValidString(v) {
			bad[key] = "Contains characters that are not valid text."
			continue
		}
		switch {
		case key == FieldConsent || key == FieldInteracted:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "on", "true", "yes", "1":
				*s.flag(key) = true
			}
		case key == FieldElapsedMS:
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				bad[key] = "Must be a whole number of milliseconds."
				continue
			}
			s.ElapsedMS = &n
		case isUTM(key):
			s.setUTM(key, v)
		default:
			*text[key] = v
		}
	}
	if len(bad) > 0 {
		return Submission{}, &InvalidError{Message: msgFix, Fields: bad}
	}
	return s, nil
}
