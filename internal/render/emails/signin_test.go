package emails

import (
	"strings"
	"testing"
)

// The code email says the code, in its subject and its text, for whom, and
// for how long; nothing else of the request or the address.
func TestSignInCode(t *testing.T) {
	c := SignInCode("Relief Physical Therapy", "042917")
	if c.Subject != "Your sign-in code: 042917" || c.HTML != "" {
		t.Errorf("subject %q, HTML %q", c.Subject, c.HTML)
	}
	for _, want := range []string{"042917 is your code to sign in to Relief Physical Therapy's requests.", "for the next 10 minutes", "nobody can sign in without the code"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text %q: no %q", c.Text, want)
		}
	}
}
