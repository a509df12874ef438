// Package sesmail sends email through SES v2. It refuses any header value
// that could carry a line break, so no visitor text can add a header.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
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
	// Tags are SES message tags, published with the message's events
	// (delivery, bounce, ...) by the configuration set: what the email is
	// and which lead it is about. A tag SES would refuse is left off
	// rather than fail the send.
	Tags map[string]string
}

// The message tags the stack sets, and what TagKind says.
const (
	TagLead = "lead"
	TagKind = "kind"

	KindAlert  = "alert"
	KindAck    = "ack"
	KindDigest = "digest"
	KindReport = "report"
	KindSignIn = "signin"
)

// ErrHeader: a header value holds a line break or is not a plain address.
var ErrHeader = errors.New("unsafe email header")

// Sender sends messages through SES.
type Sender struct {
	api API
	set string
}

// New returns a sender using api.
func New(api API) *Sender { return &Sender{api: api} }

// WithConfigurationSet returns a sender whose messages go through the SES
// configuration set named set (none when set is empty), so SES publishes
// their delivery events.
func (s *Sender) WithConfigurationSet(set string) *Sender {
	return &Sender{api: s.api, set: set}
}

// Send sends m and returns SES's message id.
func (s *Sender) Send(ctx context.Context, m Message) (string, error) {
	if err := check(m); err != nil {
		return "", err
	}
	in := &sesv2.SendEmailInput{
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
		EmailTags: tags(m.Tags),
	}
	if s.set != "" {
		in.ConfigurationSetName = aws.String(s.set)
	}
	out, err := s.api.SendEmail(ctx, in)
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

// tags turns m's tags into SES's, in name order, leaving off any that SES
// would refuse: names and values of 1 to 256 of [A-Za-z0-9_-].
func tags(m map[string]string) []types.MessageTag {
	var out []types.MessageTag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if tagText(k) && tagText(m[k]) {
			out = append(out, types.MessageTag{Name: aws.String(k), Value: aws.String(m[k])})
		}
	}
	return out
}

func tagText(v string) bool {
	if v == "" || len(v) > 256 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

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
