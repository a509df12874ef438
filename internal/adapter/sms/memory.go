package sms

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
)

// Text is one text as sent.
type Text struct {
	ID, To, Body, MessageType string
	// From is the request's OriginationIdentity; empty: none named.
	From string
}

// Memory stands in for End User Messaging SMS in unit tests and make dev:
// it takes SendTextMessage as the service does and keeps each text.
type Memory struct {
	// Fail, when set, makes every send fail as the service refuses a
	// number it cannot reach.
	Fail bool

	mu    sync.Mutex
	texts []Text
}

var _ API = (*Memory)(nil)

// SendTextMessage keeps the text.
func (m *Memory) SendTextMessage(_ context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, _ ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail {
		return nil, errors.New("sms: the origination identity cannot send to this number")
	}
	if aws.ToString(in.DestinationPhoneNumber) == "" || aws.ToString(in.MessageBody) == "" {
		return nil, errors.New("sms: DestinationPhoneNumber and MessageBody are required")
	}
	t := Text{ID: fmt.Sprintf("sms-%04d", len(m.texts)+1), To: *in.DestinationPhoneNumber, Body: *in.MessageBody, MessageType: string(in.MessageType), From: aws.ToString(in.OriginationIdentity)}
	m.texts = append(m.texts, t)
	return &pinpointsmsvoicev2.SendTextMessageOutput{MessageId: aws.String(t.ID)}, nil
}

// Texts returns the texts kept so far, oldest first.
func (m *Memory) Texts() []Text {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Text(nil), m.texts...)
}
