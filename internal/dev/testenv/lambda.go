package testenv

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Bootstrap builds the function in pkg (a path under the repository, such
// as "./functions/submit") as a Lambda bootstrap for this machine's own
// architecture, with the same tags and flags as the deployed arm64 build,
// to run under RIE: under -short it is skipped before the build, as RIE is.
func Bootstrap(t testing.TB, pkg string) string {
	t.Helper()
	Needs(t, rieName)
	return build(t, pkg, "bootstrap", []string{"CGO_ENABLED=0"}, "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid=")
}

const rieName = "the Lambda Runtime Interface Emulator"

// Lambda is a bootstrap running under the Lambda Runtime Interface Emulator.
type Lambda struct {
	// URL is where to POST an event to invoke the function.
	URL  string
	logs *syncBuffer
	// mu serialises invokes: the emulator crashes on concurrent ones
	// (aws-lambda-runtime-interface-emulator issue 97).
	mu   sync.Mutex
	stop func()
	pid  int
}

// BootstrapPID is the process id of the function the emulator started (0
// before the first invoke).
func (l *Lambda) BootstrapPID() int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(l.pid) {
			return pid
		}
	}
	return 0
}

// Logs is everything the emulator and the function printed so far; output
// can lag an invoke's response, so check logs after Stop.
func (l *Lambda) Logs() string { return l.logs.String() }

// Stop ends the emulator and its function and returns all they printed.
func (l *Lambda) Stop() string {
	l.stop()
	return l.logs.String()
}

// LambdaEnv is the environment Lambda gives a provided.al2023 function
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
// with dummy credentials, overlaid with env, the function's own variables
// and the endpoints: never this process's environment, so neither the
// developer's HOME, AWS_PROFILE or AWS_CA_BUNDLE nor anything else the
// function would not see on AWS reaches it. The emulator adds
// AWS_LAMBDA_RUNTIME_API; AWS_EXECUTION_ENV is left out, as Lambda leaves
// it out for the OS-only (provided) runtimes. The variables Env sets only to keep the full
// loader in this process off ~/.aws are left out: Lambda sets none of them.
func LambdaEnv(name, taskRoot string, env map[string]string) []string {
	vars := map[string]string{
		"AWS_REGION": Region, "AWS_DEFAULT_REGION": Region,
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
		"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":      "/aws/lambda/" + name, "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
		// template.yaml's LoggingConfig: JSON, every line passed (the
		// functions filter their own by LOG_LEVEL).
		"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "TRACE",
		"_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": taskRoot, "LAMBDA_RUNTIME_DIR": "/var/runtime",
		"LANG": "en_US.UTF-8", "TZ": ":UTC",
		"PATH":            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
	}
	for k, v := range env {
		vars[k] = v
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"} {
		delete(vars, k)
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// RIE runs bootstrap under the Lambda Runtime Interface Emulator in the
// environment LambdaEnv makes of env, until the test ends. Both of its
// addresses are set: the defaults (0.0.0.0:8080, 127.0.0.1:9001) would
// listen beyond loopback and clash between instances.
func RIE(t testing.TB, bootstrap string, env map[string]string) *Lambda {
	t.Helper()
	bin := Tool(t, rieName, "RIE", ".tools/bin/aws-lambda-rie")
	var base string
	var cmd *exec.Cmd
	logs, stop := serveOn(t, "the Runtime Interface Emulator", func(host string, port int) (*exec.Cmd, string) {
		cmd = exec.Command(bin,
			"--runtime-interface-emulator-address", net.JoinHostPort(host, strconv.Itoa(port)),
			"--runtime-api-address", net.JoinHostPort(host, strconv.Itoa(freePortOn(t, host))),
			bootstrap)
		cmd.Dir = filepath.Dir(bootstrap)
		cmd.Env = LambdaEnv("function", filepath.Dir(bootstrap), env)
		// The emulator starts the bootstrap on the first invoke; SIGTERM
		// lets it take its bootstrap down with it.
		base = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
		return cmd, base + "/"
	})
	return &Lambda{URL: base + "/2015-03-31/functions/function/invocations", logs: logs, stop: stop, pid: cmd.Process.Pid}
}

// Invoke sends event to the function and returns its response; a failed
// invoke fails the test.
func (l *Lambda) Invoke(t testing.TB, event []byte) []byte {
	t.Helper()
	status, body := InvokeRaw(t, l, event)
	if status != http.StatusOK {
		t.Fatalf("invoke: status %d: %s\nlogs:\n%s", status, body, l.Logs())
	}
	return body
}

// InvokeRaw sends event to the function and returns the emulator's status
// and body, whatever they are.
func InvokeRaw(t testing.TB, l *Lambda, event []byte) (int, []byte) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	res, err := http.Post(l.URL, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		t.Fatalf("read the invoke response: %v", err)
	}
	return res.StatusCode, b.Bytes()
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
