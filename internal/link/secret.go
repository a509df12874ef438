package link

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// RefreshEvery is how often a Signer re-reads the secret (Refresh): a new
// version signs, and a retired one stops verifying, within this long of
// make rotate-link-secret, without a cold start.
const RefreshEvery = 5 * time.Minute

// RecheckAfter is how soon after its last read a Signer reads the secret
// again for a token or form no version it holds can check (Recheck): a
// version newer than its own may sign already. Forged tokens cannot make
// it call Secrets Manager more often than this.
const RecheckAfter = 30 * time.Second

// Signer signs and checks tokens with the versions of the link secret it
// holds. Its methods are safe for concurrent use.
type Signer struct {
	keys atomic.Pointer[keySet]
	// read is nil for a fixed secret (LINK_SECRET).
	read  Versions
	reads *Throttle
}

// Throttle lets a secret be read again only when its last read is old
// enough, one read at a time: what a Signer and the adapter's other
// secrets (internal/adapter/secrets) share.
type Throttle struct {
	now func() time.Time
	mu  sync.Mutex // one read of the secret at a time
	// last is when the secret was last read or tried (under mu).
	last time.Time
}

// NewThrottle returns a throttle reading the time from now.
func NewThrottle(now func() time.Time) *Throttle { return &Throttle{now: now} }

// After calls read if the last read was at least d ago, and returns what
// it reports; else it reports no change.
func (t *Throttle) After(d time.Duration, read func() (bool, error)) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.now().Sub(t.last) < d {
		return false, nil
	}
	return t.First(read)
}

// First calls read whatever the time (with mu held, or before the owner
// is shared), and counts it as a read.
func (t *Throttle) First(read func() (bool, error)) (bool, error) {
	t.last = t.now()
	return read()
}

// Versions reads the current and the previous version of the secret;
// previous is nil when there is none.
type Versions func(ctx context.Context) (current, previous []byte, err error)

// NewSigner returns a signer with one fixed secret of at least MinSecret
// bytes (LINK_SECRET, tests): it never refreshes.
func NewSigner(secret []byte) (*Signer, error) {
	k, err := newKey(secret)
	if err != nil {
		return nil, err
	}
	s := &Signer{reads: NewThrottle(time.Now)}
	s.keys.Store(&keySet{current: k})
	return s, nil
}

// NewRefreshingSigner reads the secret's versions through read, now, and
// again when Refresh or Recheck finds the last read old enough by now.
func NewRefreshingSigner(ctx context.Context, read Versions, now func() time.Time) (*Signer, error) {
	s := &Signer{read: read, reads: NewThrottle(now)}
	if _, err := s.reads.First(func() (bool, error) { return s.reload(ctx) }); err != nil {
		return nil, err
	}
	return s, nil
}

// Refresh reads the secret again if it was last read RefreshEvery ago or
// more. On an error the versions read before stay in use (it is tried
// again after RefreshEvery).
func (s *Signer) Refresh(ctx context.Context) error {
	_, err := s.refresh(ctx, RefreshEvery)
	return err
}

// Recheck reads the secret again if it was last read RecheckAfter ago or
// more, and reports whether the versions held changed: a check that failed
// may then be tried once more.
func (s *Signer) Recheck(ctx context.Context) (bool, error) {
	return s.refresh(ctx, RecheckAfter)
}

func (s *Signer) refresh(ctx context.Context, after time.Duration) (bool, error) {
	if s.read == nil {
		return false, nil
	}
	return s.reads.After(after, func() (bool, error) { return s.reload(ctx) })
}

// reload reads the versions (through s.reads).
func (s *Signer) reload(ctx context.Context) (bool, error) {
	cur, prev, err := s.read(ctx)
	if err != nil {
		return false, err
	}
	ks := &keySet{}
	if ks.current, err = newKey(cur); err != nil {
		return false, fmt.Errorf("current version: %w", err)
	}
	if prev != nil {
		p, err := newKey(prev)
		if err != nil {
			return false, fmt.Errorf("previous version: %w", err)
		}
		ks.previous = &p
	}
	old := s.keys.Swap(ks)
	return old == nil || !sameKeys(old, ks), nil
}

func sameKeys(a, b *keySet) bool {
	if !bytes.Equal(a.current.secret, b.current.secret) || (a.previous == nil) != (b.previous == nil) {
		return false
	}
	return a.previous == nil || bytes.Equal(a.previous.secret, b.previous.secret)
}
