package sesmail

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"golang.org/x/time/rate"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

func message() Message {
	return Message{
		From:    mail.Address{Name: "Relief Physical Therapy", Address: "alerts@example-clinic.com"},
		To:      []string{"frontdesk@example-clinic.com"},
		ReplyTo: []string{"pat@example.com"},
		Subject: "New appointment request: Pat (phone)",
		Text:    "Pat would like a call.",
		HTML:    "<p>Pat would like a call.</p>",
	}
}

func TestSendThroughMoto(t *testing.T) {
	endpoint := testenv.Moto(t)
	api := sesv2.NewFromConfig(testenv.AWSConfig(t, endpoint))
	ctx := context.Background()
	if _, err := api.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example-clinic.com")}); err != nil {
		t.Fatal(err)
	}
	id, err := New(api).Send(ctx, message())
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Error("no message id")
	}

	// moto keeps what it was sent; read it back.
	res, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var data struct {
		SES struct {
			Message []struct {
				Source       string
				Destinations struct{ ToAddresses []string }
				Subject      string
			}
		} `json:"ses"`
	}
	if err := json.NewDecoder(res.Body).Decode(&data); err != nil {
		t.Fatal(err)
	}
	if len(data.SES.Message) != 1 {
		t.Fatalf("moto holds %d messages, want 1", len(data.SES.Message))
	}
	got := data.SES.Message[0]
	if got.Source != `"Relief Physical Therapy" <alerts@example-clinic.com>` || got.Subject != message().Subject ||
		len(got.Destinations.ToAddresses) != 1 || got.Destinations.ToAddresses[0] != "frontdesk@example-clinic.com" {
		t.Errorf("sent %+v", got)
	}
}

func TestSendRefusesUnsafeHeaders(t *testing.T) {
	tests := map[string]func(*Message){
		"CR/LF in the subject":  func(m *Message) { m.Subject = "Hi\r\nBcc: all@example.com" },
		"LF in the sender name": func(m *Message) { m.From.Name = "Clinic\nBcc: x@example.com" },
		"header in a reply-to":  func(m *Message) { m.ReplyTo = []string{"pat@example.com\r\nBcc: x@example.com"} },
		"display name as a To":  func(m *Message) { m.To = []string{"Front Desk <fd@example-clinic.com>"} },
		"no recipient":          func(m *Message) { m.To = nil },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			m := message()
			change(&m)
			called := false
			api := apiFunc(func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
				called = true
				return &sesv2.SendEmailOutput{}, nil
			})
			if _, err := New(api).Send(context.Background(), m); !errors.Is(err, ErrHeader) {
				t.Errorf("got %v, want ErrHeader", err)
			}
			if called {
				t.Error("SES was called")
			}
		})
	}
}

type apiFunc func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)

func (f apiFunc) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return f(ctx, in, opts...)
}

func TestPacedWaitsForItsTurn(t *testing.T) {
	calls := 0
	api := apiFunc(func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
		calls++
		return &sesv2.SendEmailOutput{MessageId: aws.String("m")}, nil
	})
	p := Paced{Sender: New(api), Rate: rate.NewLimiter(rate.Every(time.Hour), 1)} // one now, the next in an hour
	if _, err := p.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := p.Send(ctx, message()); err == nil {
		t.Error("a second send within the rate went out")
	}
	if calls != 1 {
		t.Errorf("%d calls to SES, want 1", calls)
	}
}

func TestSendNamesConfigurationSetAndTags(t *testing.T) {
	var got *sesv2.SendEmailInput
	api := apiFunc(func(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
		got = in
		return &sesv2.SendEmailOutput{MessageId: aws.String("m")}, nil
	})
	m := message()
	m.Tags = map[string]string{TagLead: "0b7e9c1a-5f0e-4c1e-9d0a-3c2b1a0f9e8d", TagKind: KindAlert, "bad": "a b@c"}
	if _, err := New(api).WithConfigurationSet("leadhandler-mail").Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ConfigurationSetName) != "leadhandler-mail" {
		t.Errorf("configuration set %q", aws.ToString(got.ConfigurationSetName))
	}
	var tags []string
	for _, tag := range got.EmailTags {
		tags = append(tags, aws.ToString(tag.Name)+"="+aws.ToString(tag.Value))
	}
	// A value SES would refuse ("bad") is left off: the alert still goes out.
	if want := []string{"kind=alert", "lead=0b7e9c1a-5f0e-4c1e-9d0a-3c2b1a0f9e8d"}; !slices.Equal(tags, want) {
		t.Errorf("tags %v, want %v", tags, want)
	}

	if _, err := New(api).Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	if got.ConfigurationSetName != nil || got.EmailTags != nil {
		t.Errorf("without a set or tags: %v, %v", got.ConfigurationSetName, got.EmailTags)
	}
}
