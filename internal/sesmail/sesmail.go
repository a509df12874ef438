// Package sesmail sends email through SES v2. It refuses any header value
// that could carry a line break, so no visitor text can add a header.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"
)

// API is the part of the SES v2 client the sender uses.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Message is one email with a text and an HTML part.
type Message struct {
	From    mail.Address // the clinic's verified sender, with its name
	To      []string
	ReplyTo []string
	Subject string
	Text    string
	HTML    string
}

// ErrHeader: a header value holds a line break or is not a plain address.
var ErrHeader = errors.New("unsafe email header")

// Sender sends messages through SES.
type Sender struct {
	api API
}

// New returns a sender using api.
func New(api API) *Sender { return &Sender{api: api} }

// Send sends m and returns SES's message id.
func (s *Sender) Send(ctx context.Context, m Message) (string, error) {
	if err := check(m); err != nil {
		return "", err
	}
	out, err := s.api.SendEmail(ctx, &sesv2.SendEmailInput{
		// String() encodes a non-ASCII display name as RFC 2047 words.
		FromEmailAddress: aws.String(m.From.String()),
		Destination:      &types.Destination{ToAddresses: m.To},
		ReplyToAddresses: m.ReplyTo,
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")},
			},
		}},
	})
	if err != nil {
		return "", &SendError{err: err}
	}
	return aws.ToString(out.MessageId), nil
}

// SendError is a failed send. Its text is SES's error code, never SES's
// message: messages name addresses ("... not verified: pat@example.com"),
// and addresses must not reach a log line.
type SendError struct {
	err error
}

func (e *SendError) Error() string {
	var api smithy.APIError
	if errors.As(e.err, &api) {
		return "send email: SES refused: " + api.ErrorCode()
	}
	var op *smithy.OperationError
	if errors.As(e.err, &op) {
		return "send email: SES unreachable or failing: " + op.Err.Error()
	}
	return "send email: failed"
}

func (e *SendError) Unwrap() error { return e.err }

func check(m Message) error {
	if len(m.To) == 0 {
		return fmt.Errorf("%w: no recipient", ErrHeader)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.From.Name, "\r\n") {
		return fmt.Errorf("%w: line break in the subject or sender name", ErrHeader)
	}
	for _, a := range append(append([]string{m.From.Address}, m.To...), m.ReplyTo...) {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			return fmt.Errorf("%w: not a plain address", ErrHeader)
		}
	}
	return nil
}

// Paced sends through Sender at most as fast as its limiter lets: SES
// throttles an account over its sending rate (1 a second in the sandbox,
// 14 by default after it).
type Paced struct {
	Sender *Sender
	Rate   *rate.Limiter
}

// Send waits for its turn, then sends m.
func (p Paced) Send(ctx context.Context, m Message) (string, error) {
	if err := p.Rate.Wait(ctx); err != nil {
		return "", fmt.Errorf("send email: waiting for the send rate: %w", err)
	}
	return p.Sender.Send(ctx, m)
}
