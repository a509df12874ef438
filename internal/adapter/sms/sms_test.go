package sms_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

type fakeAPI struct {
	send func(*pinpointsmsvoicev2.SendTextMessageInput) (*pinpointsmsvoicev2.SendTextMessageOutput, error)
}

func (f fakeAPI) SendTextMessage(_ context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, _ ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
	return f.send(in)
}

var _ sms.API = fakeAPI{}

func TestNilSenderSendsNothing(t *testing.T) {
	if s := sms.New(fakeAPI{}, nil, slog.Default()); s != nil {
		t.Fatalf("New with no numbers = %v, want nil", s)
	}
	var s *sms.Sender
	if got := s.Send(context.Background(), slog.Default(), "alert", "x"); got != 0 {
		t.Errorf("sent %d", got)
	}
}

func TestFailureLoggedWithoutNumber(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	n := 0
	api := fakeAPI{send: func(in *pinpointsmsvoicev2.SendTextMessageInput) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
		if n++; n == 1 {
			return nil, errors.New("throttled")
		}
		return &pinpointsmsvoicev2.SendTextMessageOutput{MessageId: new("m-2")}, nil
	}}
	s := sms.New(api, []string{"+12025550143", "+442079460958"}, log)
	if got := s.Send(context.Background(), log, "alert", "x"); got != 1 {
		t.Errorf("sent %d, want 1", got)
	}
	for _, num := range []string{"2025550143", "2079460958"} {
		if strings.Contains(buf.String(), num) {
			t.Errorf("log names a number: %s", buf.String())
		}
	}
	if !strings.Contains(buf.String(), "sms not sent") || !strings.Contains(buf.String(), "sms sent") {
		t.Errorf("log: %s", buf.String())
	}
}

// TestContract sends through the in-memory stand-in and through the SDK's
// client, configured as the functions configure theirs, to the JSON API's
// wire-level stand-in: both take the same texts and refuse alike.
func TestContract(t *testing.T) {
	to := []string{"+12025550143", "+442079460958"}
	want := []testenv.Text{{To: to[0], Body: "hello", MessageType: "TRANSACTIONAL"}, {To: to[1], Body: "hello", MessageType: "TRANSACTIONAL"}}
	t.Run("memory", func(t *testing.T) {
		m := &sms.Memory{}
		contract(t, sms.New(m, to, slog.Default()), func() []testenv.Text {
			var out []testenv.Text
			for _, x := range m.Texts() {
				out = append(out, testenv.Text{To: x.To, Body: x.Body, MessageType: x.MessageType})
			}
			return out
		}, func() { m.Fail = true }, want)
	})
	t.Run("wire", func(t *testing.T) {
		srv := testenv.SMSServer(t)
		t.Setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", srv.URL)
		cfg := testenv.AWSConfig(t, "http://127.0.0.1:1") // nothing else is called
		calls := testenv.RecordCalls(&cfg)
		contract(t, sms.New(pinpointsmsvoicev2.NewFromConfig(cfg), to, slog.Default()), srv.Texts, func() { srv.Fail(true) }, want)
		if d := cmp.Diff(calls.Actions(), []string{"sms-voice:SendTextMessage"}); d != "" {
			t.Errorf("actions (-got +want):\n%s", d)
		}
	})
}

func contract(t *testing.T, s *sms.Sender, texts func() []testenv.Text, fail func(), want []testenv.Text) {
	t.Helper()
	if got := s.Send(context.Background(), slog.Default(), "alert", "hello"); got != 2 {
		t.Fatalf("sent %d, want 2", got)
	}
	if d := cmp.Diff(texts(), want); d != "" {
		t.Errorf("texts (-got +want):\n%s", d)
	}
	fail()
	if got := s.Send(context.Background(), slog.Default(), "alert", "again"); got != 0 {
		t.Errorf("sent %d through a failing service", got)
	}
	if got := len(texts()); got != len(want) {
		t.Errorf("%d texts kept after failures, want %d", got, len(want))
	}
}

// TestOrigin: with an origination identity every text names it (the one
// resource the template's IAM statement allows); without, none.
func TestOrigin(t *testing.T) {
	const arn = "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1234567890abcdef"
	for _, origin := range []string{arn, ""} {
		var got []string
		api := fakeAPI{send: func(in *pinpointsmsvoicev2.SendTextMessageInput) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
			if in.OriginationIdentity == nil {
				got = append(got, "<none>")
			} else {
				got = append(got, *in.OriginationIdentity)
			}
			return &pinpointsmsvoicev2.SendTextMessageOutput{}, nil
		}}
		sms.New(api, []string{"+12025550143", "+12025550144"}, slog.Default()).WithOrigin(origin).Send(context.Background(), slog.Default(), "alert", "x")
		want := arn
		if origin == "" {
			want = "<none>"
		}
		if diff := cmp.Diff(got, []string{want, want}); diff != "" {
			t.Errorf("WithOrigin(%q): OriginationIdentity (-got +want):\n%s", origin, diff)
		}
	}
	var none *sms.Sender
	if none.WithOrigin(arn) != nil {
		t.Error("a nil sender with an origin is not nil")
	}
}
