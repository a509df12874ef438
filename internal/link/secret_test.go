package link

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// versions is a secret with its stages, as Secrets Manager keeps them:
// put makes a new current, the old current becomes previous and the
// previous before it is retired.
type versions struct {
	mu                sync.Mutex
	current, previous []byte
	reads             int
	fail              error
}

func (v *versions) put(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.current, v.previous = []byte(s), v.current
}

func (v *versions) retire() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.previous = nil
}

func (v *versions) read(context.Context) ([]byte, []byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.reads++
	return v.current, v.previous, v.fail
}

// clock is a settable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

var v1, v2, v3 = strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)

// TestRefresh: a running signer takes up a new version within
// RefreshEvery, keeps checking the one before, and stops checking a
// retired one, without being made again (no cold start).
func TestRefresh(t *testing.T) {
	ctx := context.Background()
	src := &versions{current: []byte(v1)}
	c := &clock{t: now}
	s, err := NewRefreshingSigner(ctx, src.read, c.now)
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(ttl)
	verifies := func(t *testing.T, tok string) error {
		t.Helper()
		_, err := s.Verify(tok, PurposeStaff, lead, c.now(), ttl)
		return err
	}
	byV1, legacyV1 := s.Sign(PurposeStaff, lead, exp), legacySign([]byte(v1), PurposeStaff, lead, exp)
	if want := signer(t, []byte(v1)).Sign(PurposeStaff, lead, exp); byV1 != want {
		t.Fatalf("signed %q, want v1's %q", byV1, want)
	}

	src.put(v2)
	c.add(RefreshEvery - time.Second)
	if err := s.Refresh(ctx); err != nil || src.reads != 1 {
		t.Fatalf("Refresh before RefreshEvery: %v, %d reads, want none since the first", err, src.reads)
	}
	if got := s.Sign(PurposeStaff, lead, exp); got != byV1 {
		t.Errorf("before the refresh, signed %q, want v1's %q", got, byV1)
	}
	c.add(time.Second)
	if err := s.Refresh(ctx); err != nil || src.reads != 2 {
		t.Fatalf("Refresh at RefreshEvery: %v, %d reads, want 2", err, src.reads)
	}
	byV2 := s.Sign(PurposeStaff, lead, exp)
	if want := signer(t, []byte(v2)).Sign(PurposeStaff, lead, exp); byV2 != want {
		t.Errorf("after the refresh, signed %q, want v2's %q", byV2, want)
	}
	for name, tok := range map[string]string{"v2 (current)": byV2, "v1 (previous)": byV1, "v1, made before key ids": legacyV1} {
		if err := verifies(t, tok); err != nil {
			t.Errorf("%s: %v, want it to verify", name, err)
		}
	}
	if got, want := s.Key("form"), signer(t, []byte(v2)).Key("form"); string(got) != string(want) {
		t.Error("Key is not derived from the current version")
	}
	if got := s.Keys("form"); len(got) != 2 || string(got[0]) != string(signer(t, []byte(v2)).Key("form")) ||
		string(got[1]) != string(signer(t, []byte(v1)).Key("form")) {
		t.Error("Keys are not the current then the previous version's")
	}

	// A failed read keeps what was read before, and is not retried at once.
	src.fail = errors.New("Secrets Manager down")
	c.add(RefreshEvery)
	if err := s.Refresh(ctx); err == nil {
		t.Error("a failed read was not reported")
	}
	if err := verifies(t, byV1); err != nil {
		t.Errorf("after a failed read, v1: %v", err)
	}
	src.fail = nil

	src.put(v3) // v1 is retired: Secrets Manager takes AWSPREVIOUS off it
	c.add(RefreshEvery)
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"v1 (retired)": byV1, "v1, made before key ids": legacyV1} {
		if err := verifies(t, tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := verifies(t, byV2); err != nil {
		t.Errorf("v2 (previous now): %v", err)
	}

	src.retire() // make rotate-link-secret RETIRE=1
	c.add(RefreshEvery)
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := verifies(t, byV2); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("v2 after its retirement: %v, want ErrUnknownKey", err)
	}
	if got := s.Keys("form"); len(got) != 1 {
		t.Errorf("%d keys after the retirement, want the current only", len(got))
	}
}

// TestRecheck: a token of a version newer than the signer holds is taken
// after a Recheck, which reads the secret at most every RecheckAfter.
func TestRecheck(t *testing.T) {
	ctx := context.Background()
	src := &versions{current: []byte(v1)}
	c := &clock{t: now}
	s, err := NewRefreshingSigner(ctx, src.read, c.now)
	if err != nil {
		t.Fatal(err)
	}
	src.put(v2)
	byV2 := signer(t, []byte(v2)).Sign(PurposeStaff, lead, now.Add(ttl))
	if _, err := s.Verify(byV2, PurposeStaff, lead, now, ttl); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("a version not read yet: %v, want ErrUnknownKey", err)
	}
	c.add(RecheckAfter - time.Second)
	if changed, err := s.Recheck(ctx); changed || err != nil || src.reads != 1 {
		t.Fatalf("Recheck within RecheckAfter: %v, %v, %d reads; want no read", changed, err, src.reads)
	}
	c.add(time.Second)
	if changed, err := s.Recheck(ctx); !changed || err != nil {
		t.Fatalf("Recheck after RecheckAfter: %v, %v; want the new version", changed, err)
	}
	if _, err := s.Verify(byV2, PurposeStaff, lead, now, ttl); err != nil {
		t.Errorf("after the recheck: %v", err)
	}
	c.add(RecheckAfter)
	if changed, err := s.Recheck(ctx); changed || err != nil {
		t.Errorf("Recheck with nothing new: %v, %v; want unchanged", changed, err)
	}
	fixed := signer(t, secret)
	if changed, err := fixed.Recheck(ctx); changed || err != nil {
		t.Errorf("a fixed secret's Recheck: %v, %v", changed, err)
	}
}

// TestConcurrentRefresh (with -race): notify signs from many goroutines
// while the secret is read again.
func TestConcurrentRefresh(t *testing.T) {
	ctx := context.Background()
	src := &versions{current: []byte(v1)}
	c := &clock{t: now}
	s, err := NewRefreshingSigner(ctx, src.read, c.now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if i%2 == 0 && j%20 == 0 {
					src.put([]string{v1, v2, v3}[j%3])
					c.add(RefreshEvery)
					_ = s.Refresh(ctx)
					continue
				}
				tok := s.Sign(PurposeStaff, lead, now.Add(ttl))
				_, _ = s.Verify(tok, PurposeStaff, lead, now, ttl)
				_ = s.Keys("form")
			}
		})
	}
	wg.Wait()
}
