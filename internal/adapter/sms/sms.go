// Package sms sends the clinic's short texts (the alert, the response
// guard's nudge, an alert that bounced; their words are
// internal/render/texts) to STAFF_SMS through AWS End User Messaging SMS,
// and the one text back to a patient who asked for it (PATIENT_SMS).
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"
)

// API is the part of the pinpoint-sms-voice-v2 client the sender uses.
type API interface {
	SendTextMessage(ctx context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, opts ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error)
}

// Sender texts every number of STAFF_SMS. A nil *Sender sends nothing.
type Sender struct {
	api    API
	to     []string
	origin string
	log    *slog.Logger
}

// New returns a sender to the numbers to, or nil when there are none.
func New(api API, to []string, log *slog.Logger) *Sender {
	if len(to) == 0 {
		return nil
	}
	return &Sender{api: api, to: to, log: log}
}

// WithOrigin makes s send from the origination identity origin (an ARN,
// STAFF_SMS_ORIGINATION), the one resource its IAM statement allows; empty:
// the service picks one of the account's.
func (s *Sender) WithOrigin(origin string) *Sender {
	if s != nil {
		s.origin = origin
	}
	return s
}

// Send texts body to every number and reports how many took it. A failure
// is logged (without the number: it is a person's; with only the
// service's error code, as Text returns it) and never returned: the text
// only doubles an email that already went out.
func (s *Sender) Send(ctx context.Context, log *slog.Logger, kind, body string) int {
	if s == nil {
		return 0
	}
	sent := 0
	for i, to := range s.to {
		id, err := s.Text(ctx, to, body)
		if err != nil {
			log.Error("sms not sent", "kind", kind, "recipient", i, "err", err)
			continue
		}
		sent++
		log.Info("sms sent", "kind", kind, "recipient", i, "messageId", id)
	}
	return sent
}

// ToOne returns a sender with no numbers of its own, for Text: the
// patient's text back (PATIENT_SMS), whose number each lead gives.
func ToOne(api API, log *slog.Logger) *Sender {
	return &Sender{api: api, log: log}
}

// e164 is a number as End User Messaging SMS takes it: +, country code,
// at most 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ErrNotANumber: the number is not E.164; nothing was sent.
var ErrNotANumber = errors.New("sms: not an E.164 number")

// Text sends body to the one number to, a transactional text from s's
// origination identity, and returns End User Messaging's message id. Its
// error never holds the number (the service's message may): only the
// service's error code, or the error's type. Opt-outs are the service's:
// a number that replied STOP is refused there.
func (s *Sender) Text(ctx context.Context, to, body string) (string, error) {
	if !e164.MatchString(to) {
		return "", ErrNotANumber
	}
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(to),
		MessageBody:            aws.String(body),
		MessageType:            types.MessageTypeTransactional,
	}
	if s.origin != "" {
		in.OriginationIdentity = aws.String(s.origin)
	}
	out, err := s.api.SendTextMessage(ctx, in)
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			return "", fmt.Errorf("sms: %s", api.ErrorCode())
		}
		return "", fmt.Errorf("sms: %T", err)
	}
	return aws.ToString(out.MessageId), nil
}
