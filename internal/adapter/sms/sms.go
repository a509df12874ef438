// Package sms sends the clinic's short texts (the alert, the response
// guard's nudge, an alert that bounced; their words are
// internal/render/texts) to STAFF_SMS through AWS End User Messaging SMS.
package sms

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
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
// is logged (without the number: it is a person's) and never returned: the
// text only doubles an email that already went out.
func (s *Sender) Send(ctx context.Context, log *slog.Logger, kind, body string) int {
	if s == nil {
		return 0
	}
	sent := 0
	for i, to := range s.to {
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
			log.Error("sms not sent", "kind", kind, "recipient", i, "err", err)
			continue
		}
		sent++
		log.Info("sms sent", "kind", kind, "recipient", i, "messageId", aws.ToString(out.MessageId))
	}
	return sent
}
