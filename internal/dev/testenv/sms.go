package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Text is one SMS the stand-in took.
type Text struct {
	To, Body, MessageType string
}

// SMS stands in for AWS End User Messaging SMS (the pinpoint-sms-voice-v2
// JSON API), which moto has no backend for: it takes SendTextMessage and
// keeps the texts. Point an SDK at it with
// AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2=URL.
type SMS struct {
	URL string

	mu    sync.Mutex
	fail  bool
	texts []Text
}

// Fail makes every send from now on fail (or not) as the service refuses
// a number it cannot reach.
func (s *SMS) Fail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

// SMSServer starts an SMS stand-in for the test.
func SMSServer(t testing.TB) *SMS {
	t.Helper()
	s := &SMS{}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Texts returns the texts taken so far.
func (s *SMS) Texts() []Text {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Text(nil), s.texts...)
}

func (s *SMS) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	fail := func(code int, typ, msg string) {
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"__type":%q,"Message":%q}`, typ, msg)
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "PinpointSMSVoiceV2.SendTextMessage" {
		fail(http.StatusBadRequest, "UnknownOperationException", "only SendTextMessage is emulated")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(http.StatusForbidden, "AccessDeniedException", "unsigned request")
		return
	}
	var in struct {
		DestinationPhoneNumber, MessageBody, MessageType string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.DestinationPhoneNumber == "" || in.MessageBody == "" {
		fail(http.StatusBadRequest, "ValidationException", "DestinationPhoneNumber and MessageBody are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		fail(http.StatusBadRequest, "ConflictException", "the origination identity cannot send to this number")
		return
	}
	s.texts = append(s.texts, Text{To: in.DestinationPhoneNumber, Body: in.MessageBody, MessageType: in.MessageType})
	fmt.Fprintf(w, `{"MessageId":"sms-%04d"}`, len(s.texts))
}
