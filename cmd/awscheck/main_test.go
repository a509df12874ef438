package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// secret is the secret key every case with keys uses: no message may hold it.
const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// isolate gives the test an environment without the caller's AWS settings:
// no AWS_* variables, an empty HOME, empty config and credentials files
// (config holds config's text, if any), then env.
func isolate(t *testing.T, config string, env map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for name, text := range map[string]string{"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": ""} {
		p := filepath.Join(home, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(name, p)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// hanging is a server that never answers, until the test ends.
func hanging(t *testing.T) string {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })
	return srv.URL
}

// refusing is an STS that refuses every caller, as it does unknown keys.
func refusing(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
			`<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error>` +
			`<RequestId>4bb1c9ec-2a1a-4b5e-9d4b-4a8e1e0b8f3e</RequestId></ErrorResponse>`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheck(t *testing.T) {
	const timeout = 2 * time.Second
	keys := func(env map[string]string) map[string]string {
		env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = "AKIAIOSFODNN7EXAMPLE", secret
		return env
	}
	closed := "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	ssoProfile := "[profile clinic]\nregion = us-east-1\nsso_start_url = https://example-clinic.awsapps.com/start\n" +
		"sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Deploy\n"
	tests := []struct {
		name   string
		config string
		env    map[string]string
		want   []string
	}{
		{"no region", "", keys(map[string]string{"AWS_ENDPOINT_URL_STS": closed}),
			[]string{noRegion}},
		{"no credentials", "", map[string]string{"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"},
			[]string{noCredentials}},
		{"neither", "", map[string]string{"AWS_EC2_METADATA_DISABLED": "true"},
			[]string{noRegion, noCredentials}},
		{"instance metadata that never answers", "", map[string]string{"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT": hanging(t)},
			[]string{noCredentials}},
		{"a profile's region, no credentials", "[profile clinic]\nregion = eu-west-1\n", map[string]string{"AWS_PROFILE": "clinic", "AWS_EC2_METADATA_DISABLED": "true"},
			[]string{noCredentials}},
		{"unknown profile", "", map[string]string{"AWS_PROFILE": "clinic"},
			[]string{"No AWS profile \"clinic\": AWS_PROFILE names a profile that is in neither ~/.aws/config nor ~/.aws/credentials (`aws configure --profile clinic` makes it)."}},
		{"SSO login never made", ssoProfile, map[string]string{"AWS_PROFILE": "clinic", "AWS_EC2_METADATA_DISABLED": "true"},
			[]string{"No AWS credentials: the SSO login of profile \"clinic\" has expired or was never made: run `aws sso login --profile clinic`."}},
		{"credentials refused", "", keys(map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": refusing(t)}),
			[]string{"AWS did not accept the credentials (from EnvConfigCredentials): InvalidClientTokenId"}},
		{"STS unreachable", "", keys(map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": closed}),
			[]string{"AWS STS in us-east-1 could not be reached (dial tcp " + strings.TrimPrefix(closed, "http://") + ": connect: connection refused): check the network connection."}},
		{"STS never answers", "", keys(map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": hanging(t)}),
			[]string{"AWS STS in us-east-1 could not be reached (no answer within 2s): check the network connection."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.config, tt.env)
			start := time.Now() // wall clock: measures how long check takes against its timeout
			id, got := check(context.Background(), timeout)
			if d := time.Since(start); d > timeout+time.Second { // wall clock: the same measured duration
				t.Errorf("check took %v, want at most the %v timeout", d, timeout)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("problems (-got +want):\n%s", diff)
			}
			if id != (identity{}) {
				t.Errorf("identity = %v, want none", id)
			}
			if s := strings.Join(got, "\n"); strings.Contains(s, secret) {
				t.Errorf("a problem holds the secret key: %s", s)
			}
		})
	}
}

// TestCheckAgainstMoto: moto's STS knows every caller as its default account.
func TestCheckAgainstMoto(t *testing.T) {
	endpoint := testenv.Moto(t)
	isolate(t, "", testenv.Env(endpoint))
	got, problems := check(context.Background(), timeout)
	if problems != nil {
		t.Fatalf("problems: %q", problems)
	}
	want := identity{Account: "123456789012", Region: testenv.Region, ARN: "arn:aws:sts::123456789012:user/moto"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("identity (-got +want):\n%s", diff)
	}
}

// TestMakeStopsWithoutAWS: make deploy and make delete, as a new user with
// no AWS setup runs them, stop at the check, with its sentences, before
// anything is installed or built; under make -j too.
func TestMakeStopsWithoutAWS(t *testing.T) {
	testenv.Needs(t, "GNU make (it runs make in a clean environment)")
	for _, args := range [][]string{{"deploy"}, {"delete"}, {"-j4", "deploy"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			venv := filepath.Join(dir, "venv")
			cmd := exec.Command("make", append([]string{"-C", testenv.Root(t), "VENV=" + venv, "TOOLBIN=" + filepath.Join(dir, "bin")}, args...)...)
			cmd.Env = testenv.CleanEnv(t)
			start := time.Now() // wall clock: measures how long the real make takes to stop
			out, code := testenv.Run(t, cmd)
			elapsed := time.Since(start) // wall clock: the same measured duration
			t.Logf("make %s failed in %v:\n%s", strings.Join(args, " "), elapsed.Round(100*time.Millisecond), out)
			if code != 2 || elapsed > time.Minute {
				t.Errorf("make exited %d after %v, want 2 within a minute", code, elapsed)
			}
			before, _, found := strings.Cut(out, noRegion)
			if !found || strings.Index(out, noRegion) > strings.Index(out, "make: *** [Makefile:") {
				t.Errorf("output lacks %q before make's error line", noRegion)
			}
			for _, line := range strings.Split(strings.TrimSuffix(before, "\n"), "\n") {
				if line != "" && !strings.HasPrefix(line, "make: Entering directory") {
					t.Errorf("output before the check's sentences: %q", line)
				}
			}
			for _, tool := range []string{"pip", "venv", "sam "} {
				if strings.Contains(out, tool) {
					t.Errorf("output mentions %q: something was installed or built", tool)
				}
			}
			if _, err := os.Stat(venv); !os.IsNotExist(err) {
				t.Errorf("the venv %s exists (%v): make installed before the check", venv, err)
			}
		})
	}
}

// TestMakeWithTestTools: once the check passes, make deploy and make delete
// use the SAM CLI make test installed, without installing again, and pass
// AWS_REGION on to it (SAM reads only AWS_DEFAULT_REGION). A stand-in sam
// says how it was called.
func TestMakeWithTestTools(t *testing.T) {
	testenv.Needs(t, "GNU make (it runs make in a clean environment)")
	endpoint := testenv.Moto(t)
	env := testenv.CleanEnv(t)
	for k, v := range testenv.Env(endpoint) {
		env = append(env, k+"="+v)
	}
	tests := []struct {
		target string
		want   []string
	}{
		{"deploy", []string{"sam build --config-file infra/samconfig.toml", "sam deploy --config-file infra/samconfig.toml --region us-east-1"}},
		{"delete", []string{"sam delete --config-file infra/samconfig.toml --region us-east-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			dir := t.TempDir()
			venv := filepath.Join(dir, "venv")
			if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(venv, "bin", "sam"), []byte("#!/bin/sh\necho \"stand-in sam $*\"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(venv, ".installed"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("make", "--no-print-directory", "-C", testenv.Root(t), tt.target, "VENV="+venv, "TOOLBIN="+filepath.Join(dir, "bin"))
			cmd.Env = env
			out, code := testenv.Run(t, cmd)
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if s, ok := strings.CutPrefix(line, "stand-in "); ok {
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" || code != 0 {
				t.Errorf("make %s exited %d; sam calls (-got +want):\n%s\noutput:\n%s", tt.target, code, diff, out)
			}
			for _, want := range []string{"AWS account 123456789012, region us-east-1, as arn:aws:sts::123456789012:user/moto\n", "The SAM CLI is in " + venv + " already"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "pip") {
				t.Errorf("make %s ran pip:\n%s", tt.target, out)
			}
		})
	}
}
