// Package outbox is a sender that keeps what it is sent instead of mailing
// it: the unit tests' SES, and the local runner's, which also writes each
// message as an .eml file any mail program opens.
package outbox

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openclinic/leadhandler/internal/sesmail"
)

// Outbox keeps sent messages in order.
type Outbox struct {
	// Dir, when set, receives each message as <n>.eml.
	Dir string
	// Fail, when set, is asked about each message; a true answer makes
	// Send fail like a throttled or unreachable SES, keeping nothing.
	Fail func(sesmail.Message) bool

	mu   sync.Mutex
	sent []Sent
}

// Sent is a kept message.
type Sent struct {
	ID string
	At time.Time
	sesmail.Message
}

// Send keeps m and returns a message id.
func (o *Outbox) Send(_ context.Context, m sesmail.Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Fail != nil && o.Fail(m) {
		return "", fmt.Errorf("send email: SES refused: Throttling")
	}
	s := Sent{ID: fmt.Sprintf("outbox-%d", len(o.sent)+1), At: time.Now(), Message: m}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
		if err := os.WriteFile(filepath.Join(o.Dir, s.ID+".eml"), EML(s), 0o600); err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
	}
	o.sent = append(o.sent, s)
	return s.ID, nil
}

// Sent returns every message kept so far, oldest first.
func (o *Outbox) Sent() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.sent)
}

// EML renders s as a MIME message with a text and an HTML alternative.
func EML(s Sent) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", s.From.String())
	header("To", strings.Join(s.To, ", "))
	if len(s.ReplyTo) > 0 {
		header("Reply-To", strings.Join(s.ReplyTo, ", "))
	}
	header("Subject", mime.QEncoding.Encode("utf-8", s.Subject))
	header("Date", s.At.Format(time.RFC1123Z))
	header("Message-ID", "<"+s.ID+"@outbox.local>")
	header("MIME-Version", "1.0")
	header("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, part := range []struct{ kind, body string }{{"text/plain", s.Text}, {"text/html", s.HTML}} {
		w, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.kind + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		qp := quotedprintable.NewWriter(w)
		qp.Write([]byte(part.body))
		qp.Close()
	}
	mw.Close()
	return b.Bytes()
}
