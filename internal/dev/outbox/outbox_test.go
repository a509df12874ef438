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
	"regexp"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
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
	sent := o.Sent()
	if len(sent) != 1 || sent[0].ID != id {
		t.Fatalf("kept %+v", sent)
	}
	raw, err := os.ReadFile(filepath.Join(o.Dir, sent[0].File))
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

// TestEMLFilesNeverOverwrite: two outboxes on one folder (two make dev runs,
// or one restarted) both count from outbox-1, yet each message keeps its own
// file, named by its time and id.
func TestEMLFilesNeverOverwrite(t *testing.T) {
	dir := t.TempDir()
	send := func(o *Outbox, subject string) Sent {
		t.Helper()
		m := sesmail.Message{From: mail.Address{Address: "alerts@example.com"}, To: []string{"frontdesk@example.com"}, Subject: subject, Text: subject}
		if _, err := sesmail.New(o).Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		sent := o.Sent()
		return sent[len(sent)-1]
	}
	first, second := &Outbox{Dir: dir}, &Outbox{Dir: dir}
	a := send(first, "first run")
	b := send(second, "second run")
	if a.ID != b.ID {
		t.Fatalf("ids %q and %q: the test wants both runs to count from 1", a.ID, b.ID)
	}
	name := regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-outbox-1(-[0-9]+)?\.eml$`)
	for _, s := range []Sent{a, b} {
		if !name.MatchString(s.File) {
			t.Errorf("file %q: want <UTC time>-<id>.eml", s.File)
		}
		raw, err := os.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil || msg.Header.Get("Subject") != s.Subject {
			t.Errorf("%s holds %v (%v), want %q", s.File, msg, err, s.Subject)
		}
	}
	// Even at the very same time and id, the file is not replaced.
	again, err := first.write(a)
	if err != nil || again == a.File {
		t.Errorf("the same message written again: %q, %v", again, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files, want 3", len(entries))
	}
}
