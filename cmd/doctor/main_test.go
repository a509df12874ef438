package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestExitCodes: the built doctor, against moto's SES, exits 0 when the
// clinic's email can go out, 1 when a problem stops it and 2 on bad usage
// or without a region, each with its last line saying so. Its domain is
// under .test (RFC 6761), which public DNS never resolves, so the DNS checks
// only warn whatever network the test runs on.
func TestExitCodes(t *testing.T) {
	endpoint := testenv.Moto(t)
	doctor := testenv.Build(t, "./cmd/doctor")
	env := testenv.CleanEnv(t)
	for k, v := range testenv.Env(endpoint) {
		env = append(env, k+"="+v)
	}
	verify := func(t *testing.T) {
		ses := sesv2.NewFromConfig(testenv.AWSConfig(t, endpoint))
		if _, err := ses.CreateEmailIdentity(context.Background(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example-clinic.test")}); err != nil {
			t.Fatal(err)
		}
	}
	sender, clinic := []string{"-sender", "alerts@example-clinic.test"}, []string{"-recipients", "frontdesk@example-clinic.test"}
	tests := []struct {
		name  string
		args  []string
		env   []string
		setup func(*testing.T)
		code  int
		last  string
	}{
		{"no -sender", clinic, nil, nil, 2, "doctor: usage: make doctor SENDER_EMAIL=alerts@example-clinic.com CLINIC_EMAIL=frontdesk@example-clinic.com [SES_CONFIGURATION_SET=... SES_MAX_SEND_RATE=...] [SEND_TEST=1] [AWS_PROFILE=... AWS_REGION=...]"},
		{"-send-test without a set", append([]string{"-send-test"}, append(sender, clinic...)...), nil, nil, 2, "doctor: SEND_TEST=1 needs SES_CONFIGURATION_SET: the test alert's delivery is reported through the stack's configuration set"},
		{"bad -max-send-rate", append([]string{"-max-send-rate", "fast"}, append(sender, clinic...)...), nil, nil, 2, "doctor: -max-send-rate (SES_MAX_SEND_RATE) is not a number of emails a second: fast"},
		{"no region", append(sender, clinic...), []string{"AWS_REGION="}, nil, 2, "doctor: no AWS region: set AWS_REGION (the stack's region) or a profile's region"},
		{"unverified sender", append(sender, clinic...), nil, nil, 1, "The clinic's email will not (all) go out until the problems above are fixed."},
		{"all good", append(sender, clinic...), nil, verify, 0, "SES can send the clinic's email."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			cmd := exec.Command(doctor, tt.args...)
			cmd.Env = append(env, tt.env...)
			out, code := testenv.Run(t, cmd)
			if code != tt.code || lastLine(out) != tt.last {
				t.Errorf("doctor %s exited %d, want %d; last line %q, want %q; output:\n%s", strings.Join(tt.args, " "), code, tt.code, lastLine(out), tt.last, out)
			}
		})
	}
}

// TestMakeDoctor: make doctor shows the doctor's own last line and code,
// with no go run line ("exit status 2"); make's error line, which no make
// option removes, comes after it, and make exits 2.
func TestMakeDoctor(t *testing.T) {
	testenv.Needs(t, "GNU make (it runs make in a clean environment)")
	cmd := exec.Command("make", "--no-print-directory", "-C", testenv.Root(t), "doctor", "TOOLBIN="+filepath.Join(t.TempDir(), "bin"))
	cmd.Env = testenv.CleanEnv(t)
	out, code := testenv.Run(t, cmd)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	got := lines[max(0, len(lines)-2):]
	if code != 2 || len(got) != 2 || !strings.HasPrefix(got[0], "doctor: usage: ") || !strings.HasPrefix(got[1], "make: *** [Makefile:") ||
		!strings.HasSuffix(got[1], ": doctor] Error 2") || strings.Contains(out, "exit status") {
		t.Errorf("make doctor exited %d, want 2 after the doctor's usage line and make's \"Error 2\" line; output:\n%s", code, out)
	}
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}
