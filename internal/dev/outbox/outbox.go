// Package outbox stands in for SES v2: it takes SendEmail calls as SES does
// and keeps each message instead of mailing it. It is the unit tests' SES
// and the local runner's (which also writes each message as an .eml file any
// mail program opens). The functions' SES sender (sesmail) calls it like SES,
// so its header checks and pacing run locally too.
package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
)

// Outbox keeps sent messages in order.
type Outbox struct {
	// Dir, when set, receives each message as an .eml file named by its
	// time and id (Sent.File), never overwriting one: two runs, or a
	// restart, keep each other's.
	Dir string
	// Fail, when set, is asked about each message; a true answer makes
	// SendEmail fail as a throttled SES does, keeping nothing.
	Fail func(sesmail.Message) bool

	mu   sync.Mutex
	sent []Sent
}

// Sent is a kept message.
type Sent struct {
	ID string
	At time.Time
	// File is the name of its .eml file in Dir, when written.
	File string
	sesmail.Message
}

// SendEmail keeps the message in, as SES would send it, and returns its id.
func (o *Outbox) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	m, err := message(in)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Fail != nil && o.Fail(m) {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded.", Fault: smithy.FaultClient}
	}
	s := Sent{ID: fmt.Sprintf("outbox-%d", len(o.sent)+1), At: time.Now(), Message: m}
	if o.Dir != "" {
		file, err := o.write(s)
		if err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		s.File = file
	}
	o.sent = append(o.sent, s)
	return &sesv2.SendEmailOutput{MessageId: aws.String(s.ID)}, nil
}

// write writes s into Dir as <UTC time>-<id>.eml, sorting by time; the
// file is created, never replaced (a name taken gets a suffix).
func (o *Outbox) write(s Sent) (string, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return "", err
	}
	name := s.At.UTC().Format("20060102T150405.000000000Z") + "-" + s.ID
	for i := 1; ; i++ {
		file := name + ".eml"
		if i > 1 {
			file = fmt.Sprintf("%s-%d.eml", name, i)
		}
		f, err := os.OpenFile(filepath.Join(o.Dir, file), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(EML(s))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return file, err
	}
}

// message reads in back into the message it carries, refusing what SES
// would refuse: no sender, no recipient, or content other than simple.
func message(in *sesv2.SendEmailInput) (sesmail.Message, error) {
	from, err := mail.ParseAddress(aws.ToString(in.FromEmailAddress))
	if err != nil {
		return sesmail.Message{}, &smithy.GenericAPIError{Code: "BadRequestException", Message: "invalid FromEmailAddress", Fault: smithy.FaultClient}
	}
	c := in.Content
	if in.Destination == nil || len(in.Destination.ToAddresses) == 0 || c == nil || c.Simple == nil || c.Simple.Subject == nil || c.Simple.Body == nil {
		return sesmail.Message{}, &smithy.GenericAPIError{Code: "BadRequestException", Message: "want a recipient and simple content", Fault: smithy.FaultClient}
	}
	part := func(p *types.Content) string {
		if p == nil {
			return ""
		}
		return aws.ToString(p.Data)
	}
	m := sesmail.Message{
		From:    *from,
		To:      slices.Clone(in.Destination.ToAddresses),
		ReplyTo: slices.Clone(in.ReplyToAddresses),
		Subject: part(c.Simple.Subject),
		Text:    part(c.Simple.Body.Text),
		HTML:    part(c.Simple.Body.Html),
	}
	for _, t := range in.EmailTags { // kept: they say which lead a message is about
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		m.Tags[aws.ToString(t.Name)] = aws.ToString(t.Value)
	}
	return m, nil
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
