// Package patient recognises a returning patient and gathers what the
// clinic keeps about one, for the right of access and erasure. It works on
// keyed hashes of a request's contacts (its phone number, its email
// address), never on the contacts themselves: the store indexes the hashes
// (ContactKeys on the lead, and one index entry per hash), so no contact is
// kept in the clear anywhere a lead is not.
package patient

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"iter"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// Purpose is the purpose of the key, derived from the link secret
// (link.Signer.Key), that hashes contacts. A new request is indexed under
// the current version's key; a lookup tries every version held
// (link.Signer.Keys), so a rotation keeps a patient recognised until the
// version that indexed them is retired.
const Purpose = "contact"

// DefaultMemory is how far back a new request is compared with earlier
// ones when PATIENT_MEMORY_DAYS is not set.
const DefaultMemory = 365 * 24 * time.Hour

// Key is the keyed hash of one contact: URL-safe base64 of an HMAC-SHA256,
// 43 characters, the contact's kind (phone or email) inside the MAC so a
// phone number and an address never share a key.
type Key string

// PhoneKey is the key of a phone number already in E.164 form (as the
// lead stores it: submit normalised it).
func PhoneKey(key []byte, e164 string) Key {
	return mac(key, "phone", e164)
}

// EmailKey is the key of an email address, any case: the address is
// lower-cased and trimmed first, so Margaret@Example.com is
// margaret@example.com.
func EmailKey(key []byte, email string) Key {
	return mac(key, "email", strings.ToLower(strings.TrimSpace(email)))
}

func mac(key []byte, kind, v string) Key {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\x00" + v))
	return Key(base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
}

// Contact is one patient's phone number (E.164) and email address, either
// of which may be empty.
type Contact struct {
	Phone string
	Email string
}

// Of is the contact a lead (or a held request) gives.
func Of(l lead.Lead) Contact { return Contact{Phone: l.Phone, Email: l.Email} }

// Keys are c's keys under key, phone first; none when c is empty.
func (c Contact) Keys(key []byte) []Key {
	var out []Key
	if c.Phone != "" {
		out = append(out, PhoneKey(key, c.Phone))
	}
	if strings.TrimSpace(c.Email) != "" {
		out = append(out, EmailKey(key, c.Email))
	}
	return out
}

// KeysUnder are c's keys under each of keys (the link secret's versions
// held, current first), each once.
func (c Contact) KeysUnder(keys [][]byte) []Key {
	var out []Key
	for _, k := range keys {
		for _, ck := range c.Keys(k) {
			if !slices.Contains(out, ck) {
				out = append(out, ck)
			}
		}
	}
	return out
}

// ErrContact: what was typed is neither an email address nor a phone
// number written with its country code.
var ErrContact = errors.New("give an email address, or a phone number with its country code such as +13035550199")

// ParseContact reads what an owner typed to find a patient: an email
// address ("Margaret@Example.com"), or a phone number with its country
// code, spaces, dashes, dots and brackets allowed ("+1 (303) 555-0199" is
// +13035550199). A number without its country code is refused rather than
// guessed: the staff function does not link libphonenumber (submit does),
// and a wrong guess would find the wrong patient.
func ParseContact(s string) (Contact, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Name != "" || a.Address != s {
			return Contact{}, ErrContact
		}
		return Contact{Email: strings.ToLower(a.Address)}, nil
	}
	if !strings.HasPrefix(s, "+") {
		return Contact{}, ErrContact
	}
	var digits strings.Builder
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return Contact{}, ErrContact
		}
	}
	// E.164: at most 15 digits, the country code never starting with 0.
	d := digits.String()
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return Contact{}, ErrContact
	}
	return Contact{Phone: "+" + d}, nil
}

// Ref is one request an index entry points to.
type Ref struct {
	ID        string
	CreatedAt time.Time
}

// Lookup is the store's index of contact keys.
type Lookup interface {
	// ContactRequests yields the requests indexed under k created at or
	// after since, newest first, page by page (a Query, never a Scan).
	ContactRequests(ctx context.Context, k Key, since, now time.Time) iter.Seq2[Ref, error]
}

// Find returns the requests indexed under any of keys since since, newest
// first, each once.
func Find(ctx context.Context, idx Lookup, keys []Key, since, now time.Time) ([]Ref, error) {
	var out []Ref
	for _, k := range keys {
		for r, err := range idx.ContactRequests(ctx, k, since, now) {
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(out, func(o Ref) bool { return o.ID == r.ID }) {
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Ref) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// Since is the earliest request a new one at now is compared with: memory
// back, never further than the leads' own retention.
func Since(now time.Time, memory, retention time.Duration) time.Time {
	if retention > 0 && (memory <= 0 || retention < memory) {
		memory = retention
	}
	return now.Add(-memory)
}
