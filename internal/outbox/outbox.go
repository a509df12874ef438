// Package outbox is a sender that keeps what it is sent instead of mailing
// it: the unit tests' SES, and later the local runner's.
package outbox

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/openclinic/leadhandler/internal/sesmail"
)

// Outbox keeps sent messages in order.
type Outbox struct {
	mu   sync.Mutex
	sent []sesmail.Message
	// Fail, when set, is asked about each message; a true answer makes
	// Send fail like a throttled or unreachable SES, keeping nothing.
	Fail func(sesmail.Message) bool
}

// Send keeps m and returns a message id.
func (o *Outbox) Send(_ context.Context, m sesmail.Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Fail != nil && o.Fail(m) {
		return "", fmt.Errorf("send email: SES refused: Throttling")
	}
	o.sent = append(o.sent, m)
	return fmt.Sprintf("outbox-%d", len(o.sent)), nil
}

// Sent returns every message kept so far.
func (o *Outbox) Sent() []sesmail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.sent)
}
