package lead

import (
	"errors"
	"iter"
	"testing"
)

func heldSeq(n int, fail error) iter.Seq2[Held, error] {
	return func(yield func(Held, error) bool) {
		for range n {
			if !yield(Held{}, nil) {
				return
			}
		}
		if fail != nil {
			yield(Held{}, fail)
		}
	}
}

func TestCountHeld(t *testing.T) {
	for _, c := range []struct {
		listed   int
		wantN    int
		wantMore bool
	}{{0, 0, false}, {2, 2, false}, {HeldShown, HeldShown, false}, {HeldShown + 1, HeldShown, true}, {5 * HeldShown, HeldShown, true}} {
		n, more, err := CountHeld(heldSeq(c.listed, nil))
		if err != nil || n != c.wantN || more != c.wantMore {
			t.Errorf("%d held: got %d, more %v, %v; want %d, more %v", c.listed, n, more, err, c.wantN, c.wantMore)
		}
	}
	boom := errors.New("store down")
	if _, _, err := CountHeld(heldSeq(3, boom)); !errors.Is(err, boom) {
		t.Errorf("a failing list: got %v, want the store's error", err)
	}
}
