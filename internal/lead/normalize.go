package lead

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// Request is a submission cleaned and checked: what a lead is made of.
type Request struct {
	SubmissionID     string // canonical lower-case UUID, or empty
	Name             string
	Phone            string // E.164, or empty
	PhoneDisplay     string // as people read it, or empty
	Email            string // or empty
	PreferredContact ContactMethod
	PreferredTime    TimeSlot
	Reason           string
	ConsentVersion   string
	Page             string
	UTM              map[string]string
	Referrer         string // an origin, or empty
	LandingPath      string // a path, or empty
}

// Rules are the clinic's settings that cleaning depends on.
type Rules struct {
	// PhoneRegion is the ISO 3166 region assumed for numbers written without
	// a country code, such as "US"; it only names it in messages.
	PhoneRegion string
	// Phone formats a number E.164 and as people read it, or says why it
	// could not (internal/phone; injected, so only code that reads numbers
	// links the phone library).
	Phone func(string) (e164, display string, p PhoneProblem)
	// PhoneExample is a whole number of the region as its people write it,
	// such as "(201) 555-0123", for the message about a number too short;
	// empty for none.
	PhoneExample string
	// ConsentVersion is recorded when the form does not say which consent
	// text it showed.
	ConsentVersion string
}

// PhoneProblem is why Rules.Phone could not read a number.
type PhoneProblem int

const (
	PhoneRead       PhoneProblem = iota // read: no problem
	PhoneNotANumber                     // not the region's, nor another's with its country code
	PhoneNoAreaCode                     // the region's, dialled locally: without its area code
	PhoneTooShort                       // the region's, too short even for that
)

// phoneMessage says what to fix in a number Rules.Phone could not read.
// It never repeats the number (messages never echo what was sent).
func phoneMessage(p PhoneProblem, rules Rules) string {
	such := "."
	if rules.PhoneExample != "" {
		such = ", such as " + rules.PhoneExample + "."
	}
	switch p {
	case PhoneNoAreaCode:
		return "Please include the area code" + such
	case PhoneTooShort:
		return "This number is too short. Please enter the whole number" + such
	}
	return "Please enter a valid phone number, with its country code if it is not a " + regionName(rules.PhoneRegion) + " number."
}

// Length bounds, in characters (runes) after cleaning.
const (
	MaxName           = 100
	MaxEmail          = 254
	MaxPhone          = 40
	MaxReason         = 2000
	MaxPage           = 2048
	MaxUTM            = 200
	MaxReferrer       = 255
	MaxConsentVersion = 40
)

var consentVersionPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// IsBot reports a submission caught by the honeypot or the time trap (see
// Trapped, which also says why): answered as if accepted, never alerted.
func (s Submission) IsBot(minFill time.Duration) bool {
	_, trapped := s.Trapped(minFill)
	return trapped
}

// Normalize cleans every field and checks the request as a whole. The error,
// if any, is an *InvalidError naming every bad field.
func Normalize(s Submission, rules Rules) (Request, error) {
	var r Request
	bad := map[string]string{}
	line := func(field, v string, max int) string {
		out, msg := cleanText(v, false, max)
		if msg != "" {
			bad[field] = msg
		}
		return out
	}

	if id := line(FieldSubmissionID, s.SubmissionID, 36); id != "" {
		u, err := uuid.Parse(id)
		if err != nil || len(id) != 36 {
			bad[FieldSubmissionID] = "Must be a UUID."
		} else {
			r.SubmissionID = u.String()
		}
	}

	r.Name = line(FieldName, s.Name, MaxName)
	if _, dup := bad[FieldName]; !dup {
		switch {
		case r.Name == "":
			bad[FieldName] = "Please enter your name."
		case strings.IndexFunc(r.Name, unicode.IsLetter) < 0:
			bad[FieldName] = "Please enter your name in letters."
		case strings.ContainsAny(r.Name, "<>"):
			// No one's name has these; markup does.
			bad[FieldName] = "Please enter your name without < or >."
		case strings.Contains(r.Name, "=?"):
			// An RFC 2047 encoded-word: a mail client may decode it into
			// other text in the alert's headers.
			bad[FieldName] = "Please enter your name without =?."
		case hasInvisible(r.Name):
			bad[FieldName] = "Please enter your name without invisible characters (zero-width spaces or direction marks)."
		}
	}

	if p := line(FieldPhone, s.Phone, MaxPhone); p != "" {
		e164, display, problem := rules.Phone(p)
		if problem != PhoneRead {
			bad[FieldPhone] = phoneMessage(problem, rules)
		}
		r.Phone, r.PhoneDisplay = e164, display
	}

	if e := line(FieldEmail, s.Email, MaxEmail); e != "" {
		addr, msg := normalizeEmail(e)
		if msg != "" {
			bad[FieldEmail] = msg
		}
		r.Email = addr
	}

	r.PreferredTime = AnyTime
	switch t := line(FieldPreferredTime, s.PreferredTime, 20); TimeSlot(t) {
	case "":
	case Morning, Afternoon, Evening, AnyTime:
		r.PreferredTime = TimeSlot(t)
	default:
		bad[FieldPreferredTime] = "Must be one of morning, afternoon, evening or any."
	}

	method := ContactMethod(line(FieldPreferredContact, s.PreferredContact, 20))
	switch method {
	case "":
		method = ByPhone
		if strings.TrimSpace(s.Phone) == "" {
			method = ByEmail
		}
	case ByPhone, ByEmail, ByText:
	default:
		bad[FieldPreferredContact] = "Must be one of phone, email or text."
	}
	r.PreferredContact = method
	phoneGiven, emailGiven := strings.TrimSpace(s.Phone) != "", strings.TrimSpace(s.Email) != ""
	switch {
	case !phoneGiven && !emailGiven:
		bad[FieldPhone] = "Please enter a phone number or an email address."
		bad[FieldEmail] = "Please enter a phone number or an email address."
	case (method == ByPhone || method == ByText) && !phoneGiven:
		bad[FieldPhone] = "Please enter the phone number we should " + map[ContactMethod]string{ByPhone: "call", ByText: "text"}[method] + "."
	case method == ByEmail && !emailGiven:
		bad[FieldEmail] = "Please enter the email address we should write to."
	}

	reason, msg := cleanText(s.Reason, true, MaxReason)
	if msg != "" {
		bad[FieldReason] = msg
	}
	r.Reason = reason

	if !s.Consent {
		bad[FieldConsent] = "Please confirm that we may contact you."
	}
	r.ConsentVersion = rules.ConsentVersion
	if v := line(FieldConsentVersion, s.ConsentVersion, MaxConsentVersion); v != "" {
		if !consentVersionPattern.MatchString(v) {
			bad[FieldConsentVersion] = "Must be letters, digits, dots, dashes or underscores."
		}
		r.ConsentVersion = v
	}

	if p := line(FieldPage, s.Page, MaxPage); p != "" {
		if !isWebURL(p) {
			bad[FieldPage] = "Must be an absolute http or https address."
		}
		r.Page = pageOnly(p)
	}

	for name, v := range s.UTM {
		if v = line(name, v, MaxUTM); v != "" {
			if r.UTM == nil {
				r.UTM = map[string]string{}
			}
			r.UTM[name] = v
		}
	}

	if v := line(FieldReferrer, s.Referrer, MaxReferrer); v != "" {
		if !isWebURL(v) {
			bad[FieldReferrer] = "Must be an absolute http or https address."
		} else {
			r.Referrer = originOnly(v)
		}
	}
	if v := line(FieldLandingPath, s.LandingPath, MaxPage); v != "" {
		if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
			bad[FieldLandingPath] = "Must be a path on the site, such as /blog/back-pain."
		} else {
			r.LandingPath = pageOnly(v)
		}
	}

	if len(bad) > 0 {
		return Request{}, &InvalidError{Message: msgFix, Fields: bad}
	}
	return r, nil
}

// originOnly is an address's scheme and host: where a visitor came from
// says which site, not which of its pages (a search's query is theirs).
func originOnly(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// lineBreaks turns every kind of line break into "\n".
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n")

// cleanText checks and normalises one field: valid UTF-8, no control or
// bidirectional-override characters, NFC, trimmed, at most max characters. A
// line break is an error in a single-line field (it could reach an email
// header), and kept as "\n" in a multi-line one. The message is empty when
// the text is fine.
func cleanText(v string, multiline bool, max int) (string, string) {
	if v == "" {
		return "", ""
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
		return "", "Contains characters that are not valid text."
	}
	if multiline {
		v = lineBreaks.Replace(v)
	}
	for _, r := range v {
		switch {
		case multiline && (r == '\n' || r == '\t'):
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return "", "Must be on a single line."
		case unicode.IsControl(r), isHiddenFormat(r):
			return "", "Contains control characters."
		}
	}
	v = strings.TrimSpace(norm.NFC.String(v))
	if utf8.RuneCountInString(v) > max {
		return "", "Too long: at most " + strconv.Itoa(max) + " characters."
	}
	return v, ""
}

// isHiddenFormat reports invisible characters that can disguise text: bidi
// embeddings, overrides and isolates, and the byte-order mark. Joiners and
// left-to-right / right-to-left marks stay in free text (a reason written in
// Arabic or Hebrew may need them); names are stricter (hasInvisible).
func isHiddenFormat(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\uFEFF'
}

// hasInvisible reports characters in a name that show as nothing and can
// disguise it: zero-width space, word joiner, byte-order mark, left-to-right
// and right-to-left marks, and bidi controls. A zero-width (non-)joiner is
// kept between two letters of a script that shapes with it (a Persian or
// Indic name); beside a Latin, Greek or Cyrillic letter, a space, or at
// either end, it only hides something.
func hasInvisible(name string) bool {
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case r == '\u200B', r == '\u200E', r == '\u200F', r == '\u2060', r == '\uFEFF', isHiddenFormat(r):
			return true
		case r == '\u200C' || r == '\u200D':
			if i == 0 || i == len(rs)-1 || !joins(rs[i-1]) || !joins(rs[i+1]) {
				return true
			}
		}
	}
	return false
}

// joins reports a letter or mark of a script where joiners shape text.
func joins(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsMark(r)) && !unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Common)
}

func regionName(region string) string {
	if region == "" {
		return "local"
	}
	return region
}

const msgEmail = "Please enter a valid email address, such as name@example.com."

// normalizeEmail accepts a bare ASCII address (no display name) whose domain
// has a dot, and lower-cases the domain; the message says what is wrong
// otherwise. Non-ASCII is refused: SES needs ASCII addresses, and
// look-alike letters from other scripts are a phishing trick.
func normalizeEmail(v string) (string, string) {
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf || v[i] <= ' ' {
			return "", msgEmail
		}
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", msgEmail
	}
	at := strings.LastIndexByte(v, '@')
	local, domain := v[:at], strings.ToLower(v[at+1:])
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.HasPrefix(domain, "[") || strings.Contains(domain, "..") {
		return "", msgEmail
	}
	if strings.IndexFunc(local, notMailboxChar) >= 0 || strings.IndexFunc(domain, notHostChar) >= 0 {
		return "", "Please enter your email address with letters, digits and . _ + - ' only, such as name@example.com."
	}
	return local + "@" + domain, ""
}

// notMailboxChar reports a character real mailboxes do not use in their
// local part, though RFC 5322 allows it: ? & = % # / and the like turn an
// address into mailto: parameters (a hidden Bcc) or a path, and quoted
// local parts are never needed to reach a patient.
func notMailboxChar(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(".+-_'", r))
}

// notHostChar reports a character that is not in a DNS host name.
func notHostChar(r rune) bool {
	return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '-')
}

// pageOnly is a page's address without its query and fragment: they can
// carry other people's data (a shared link's email, a booking number), and
// the UTM values that matter travel in their own fields. Forms from before
// sent the whole address.
func pageOnly(v string) string {
	if i := strings.IndexAny(v, "?#"); i >= 0 {
		return v[:i]
	}
	return v
}

func isWebURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}
