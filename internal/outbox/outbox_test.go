package outbox

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/sesmail"
)

// TestEMLParses: the .eml file reads back, through the standard library's
// mail parser, as the message that was sent.
func TestEMLParses(t *testing.T) {
	o := &Outbox{Dir: t.TempDir()}
	m := sesmail.Message{
		From:    mail.Address{Name: "Relief Physical Therapy", Address: "alerts@example.com"},
		To:      []string{"frontdesk@example.com", "dr@example.com"},
		ReplyTo: []string{"taro@example.jp"},
		Subject: "Appointment request: 山田 prefers an email",
		Text:    "Line one\nA very long line " + strings.Repeat("x", 120),
		HTML:    "<p>Hello &amp; welcome</p>",
	}
	id, err := sesmail.New(o).Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(o.Dir, id+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject %q (%v)", subject, err)
	}
	if got := msg.Header.Get("Reply-To"); got != "taro@example.jp" {
		t.Errorf("Reply-To %q", got)
	}
	if got, _ := msg.Header.AddressList("To"); len(got) != 2 {
		t.Errorf("To %v", got)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	var bodies []string
	for {
		p, err := parts.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n")) // mail lines end in CRLF
	}
	if len(bodies) != 2 || bodies[0] != m.Text || bodies[1] != m.HTML {
		t.Errorf("parts %q", bodies)
	}
	if n := len(o.Sent()); n != 1 {
		t.Errorf("%d kept", n)
	}
}
