package testenv

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
)

// SESLocal starts the SES v2 emulator aws-ses-v2-local (pinned in
// infra/ses-local, installed by `make test`) for the test and returns its
// endpoint. Unlike moto it keeps both parts of a message and its Reply-To.
func SESLocal(t testing.TB) string {
	t.Helper()
	endpoint, _ := SESLocalServer(t)
	return endpoint
}

// SESLocalServer is SESLocal with a function that stops the emulator early,
// as a crash would.
func SESLocalServer(t testing.TB) (string, func()) {
	t.Helper()
	cli := Tool(t, "the SES v2 emulator (Node.js)", "SES_LOCAL", "infra/ses-local/node_modules/aws-ses-v2-local/dist/cli.js")
	var endpoint string
	_, stop := serveOn(t, "aws-ses-v2-local (needs Node.js)", func(host string, port int) (*exec.Cmd, string) {
		endpoint = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
		return exec.Command("node", cli, "--host", host, "--port", strconv.Itoa(port)), endpoint + "/health-check"
	})
	return endpoint, stop
}

// Email is a message as aws-ses-v2-local recorded it.
type Email struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
}

// SentEmails reads back every message the emulator at endpoint received.
func SentEmails(t testing.TB, endpoint string) []Email {
	t.Helper()
	res, err := http.Get(endpoint + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(res.Body).Decode(&store); err != nil {
		t.Fatalf("read the SES emulator's store: %v", err)
	}
	return store.Emails
}

// ClearEmails empties the emulator's store.
func ClearEmails(t testing.TB, endpoint string) {
	t.Helper()
	res, err := http.Post(endpoint+"/clear-store", "application/json", bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
