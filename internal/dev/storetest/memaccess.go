package storetest

import (
	"cmp"
	"context"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

// List yields the leads of an inbox list within span, in its order.
func (s *MemStore) List(_ context.Context, list inbox.List, span inbox.Span, now time.Time) iter.Seq2[lead.Lead, error] {
	want := map[inbox.List]lead.Status{inbox.New: lead.StatusNew, inbox.Callback: lead.StatusOpen, inbox.Closed: lead.StatusClosed}[list]
	seq := s.list(now, func(l lead.Lead) (time.Time, bool) {
		at := inbox.At(list, l)
		return at, l.Status == want && !at.IsZero() && !at.Before(span.From) && (span.To.IsZero() || at.Before(span.To))
	})
	if !span.Newest {
		return seq
	}
	return func(yield func(lead.Lead, error) bool) {
		var all []lead.Lead
		for l, err := range seq {
			if err != nil {
				yield(l, err)
				return
			}
			all = append(all, l)
		}
		for _, l := range slices.Backward(all) {
			if !yield(l, nil) {
				return
			}
		}
	}
}

// CreateSession stores a new session; it never overwrites one.
func (s *MemStore) CreateSession(_ context.Context, sess access.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if _, ok := s.sessions[sess.Hash]; ok {
		return access.ErrNoSession
	}
	sess.Scopes = maps.Clone(sess.Scopes)
	s.sessions[sess.Hash] = sess
	return nil
}

// Session returns the session with hash unless it is gone, has ended, or
// is one from emailed links started before EndLinkSessions ended them.
func (s *MemStore) Session(_ context.Context, hash string, now time.Time) (access.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return access.Session{}, s.Err
	}
	sess, ok := s.sessions[hash]
	if !ok || !sess.Expires.After(now) || !sess.SignedIn() && sess.Created.Before(s.linksEnded) {
		return access.Session{}, access.ErrNoSession
	}
	sess.Scopes = maps.Clone(sess.Scopes)
	return sess, nil
}

// EndLinkSessions ends every session from emailed links started before
// before; a later time already set stands.
func (s *MemStore) EndLinkSessions(_ context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if before.After(s.linksEnded) {
		s.linksEnded = before
	}
	return nil
}

// TouchSession moves the session's end to expires; access.ErrNoSession if
// it was ended.
func (s *MemStore) TouchSession(_ context.Context, hash string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	sess, ok := s.sessions[hash]
	if !ok {
		return access.ErrNoSession
	}
	sess.Expires = expires
	s.sessions[hash] = sess
	return nil
}

// EndSession deletes the session, if there is one.
func (s *MemStore) EndSession(_ context.Context, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	delete(s.sessions, hash)
	return nil
}

// EndSessions deletes every session of email, reporting how many were
// still going at now.
func (s *MemStore) EndSessions(_ context.Context, email string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return 0, s.Err
	}
	n := 0
	for h, sess := range s.sessions {
		if sess.Email == email {
			if sess.Expires.After(now) {
				n++
			}
			delete(s.sessions, h)
		}
	}
	return n, nil
}

// codeKey is a code's place: by address and browser.
func codeKey(email, browser string) string { return email + "\x00" + browser }

// PutCode stores c, replacing its address and browser's earlier code.
func (s *MemStore) PutCode(_ context.Context, c access.Code) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.codes[codeKey(c.Email, c.Browser)] = c
	return nil
}

// TryCode counts one try of the code browser asked for email, and returns
// it as counted.
func (s *MemStore) TryCode(_ context.Context, email, browser string, now time.Time) (access.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return access.Code{}, s.Err
	}
	c, ok := s.codes[codeKey(email, browser)]
	switch {
	case !ok || !c.Expires.After(now):
		return access.Code{}, access.ErrNoCode
	case c.Tries >= access.MaxTries:
		return access.Code{}, access.ErrLocked
	}
	c.Tries++
	s.codes[codeKey(email, browser)] = c
	return c, nil
}

// UseCode deletes c if it is still its address and browser's code.
func (s *MemStore) UseCode(_ context.Context, c access.Code) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	cur, ok := s.codes[codeKey(c.Email, c.Browser)]
	if !ok || cur.Digest != c.Digest {
		return access.ErrNoCode
	}
	delete(s.codes, codeKey(c.Email, c.Browser))
	return nil
}

// ClaimCode stores digest on c's code and ends its send, if it is still
// the code c was read as (its expiry) and still owed.
func (s *MemStore) ClaimCode(_ context.Context, c access.Code, digest string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	cur, ok := s.codes[codeKey(c.Email, c.Browser)]
	if !ok || !cur.Send || !cur.Expires.Equal(c.Expires) {
		return access.ErrNoCode
	}
	cur.Digest, cur.Send = digest, false
	s.codes[codeKey(c.Email, c.Browser)] = cur
	return nil
}

// ReleaseCode makes c's code owed again, if its digest is still c's and
// it is not owed already.
func (s *MemStore) ReleaseCode(_ context.Context, c access.Code) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	cur, ok := s.codes[codeKey(c.Email, c.Browser)]
	if !ok || cur.Send || cur.Digest == "" || cur.Digest != c.Digest {
		return access.ErrNoCode
	}
	cur.Send = true
	s.codes[codeKey(c.Email, c.Browser)] = cur
	return nil
}

// Audit appends e to the trail.
func (s *MemStore) Audit(_ context.Context, e access.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.audit = append(s.audit, e)
	return nil
}

// AuditTrail yields the entries about leadID ("" for sign-ins, failed codes
// and sign-outs) from since on, oldest first or newest first.
func (s *MemStore) AuditTrail(_ context.Context, leadID string, since time.Time, newestFirst bool, now time.Time) iter.Seq2[access.AuditEntry, error] {
	return func(yield func(access.AuditEntry, error) bool) {
		s.mu.Lock()
		if s.Err != nil {
			err := s.Err
			s.mu.Unlock()
			yield(access.AuditEntry{}, err)
			return
		}
		var out []access.AuditEntry
		for _, e := range s.audit {
			if e.Lead == leadID && !e.At.Before(since) && e.Expires.After(now) {
				out = append(out, e)
			}
		}
		s.mu.Unlock()
		slices.SortStableFunc(out, func(a, b access.AuditEntry) int {
			return cmp.Or(a.At.Compare(b.At), strings.Compare(string(a.Action), string(b.Action)))
		})
		if newestFirst {
			slices.Reverse(out)
		}
		for _, e := range out {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// AuditEntries returns every entry, for assertions.
func (s *MemStore) AuditEntries() []access.AuditEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.audit)
}

// Codes returns every stored code, for assertions.
func (s *MemStore) Codes() []access.Code {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []access.Code
	for _, c := range s.codes {
		out = append(out, c)
	}
	return out
}
