// Package testenv starts the real parts tests run against: moto's server as
// a wire-level DynamoDB (and SES) emulator on a free loopback port, and
// tables built from template.yaml. The tools come from the git-ignored
// folders `make test` fills; run through it, or see docs/testing.md.
package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
)

// Region is the region every emulated client uses.
const Region = "us-east-1"

// Root is the repository's top folder (the one holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// GoFiles lists the Go files of the tree under root whose names end in
// suffix (".go", "_test.go"), for the tests that read the tree's source:
// not the tools' folders (.venv, .tools, node_modules) nor testdata, which
// holds such tests' fixtures.
func GoFiles(t testing.TB, root, suffix string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, suffix) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("testenv: list the Go files under %s: %v", root, err)
	}
	return out
}

// Tool returns the path of a tool `make test` installs: the environment
// variable env when set, else rel under the repository. Under -short (make
// unit) the test is skipped, naming the tool (Needs); otherwise a missing
// tool fails the test with the command that installs it.
func Tool(t testing.TB, what, env, rel string) string {
	t.Helper()
	Needs(t, what)
	p := os.Getenv(env)
	if p == "" {
		p = filepath.Join(Root(t), rel)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: %s: %s not found (%v); `make test` installs it (or set %s)", what, p, err, env)
	}
	return p
}

// Needs skips the test under -short (go test -short ./..., make unit), where
// only Go is assumed, saying what it needs beyond Go. Without -short it
// does nothing: the test then finds the tool or fails loudly.
func Needs(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s: skipped under -short; make test runs it (see docs/testing.md)", what)
	}
}

// FreePort returns a loopback TCP port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Moto starts moto's server for the test and returns its endpoint URL. It
// stops when the test ends.
func Moto(t testing.TB) string {
	t.Helper()
	bin := Tool(t, "moto's server (Python)", "MOTO_SERVER", ".venv/bin/moto_server")
	var endpoint string
	serveOn(t, "moto", func(host string, port int) (*exec.Cmd, string) {
		cmd := exec.Command(bin, "-H", host, "-p", strconv.Itoa(port))
		cmd.Env = append(os.Environ(), "MOTO_ALLOW_NONEXISTENT_REGION=true")
		endpoint = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
		return cmd, endpoint + "/moto-api/"
	})
	return endpoint
}

// freeAddr is a loopback address of its own (127.x.y.z, not 127.0.0.1)
// with a port free on it: test servers of parallel test processes, and the
// source ports of everyone's connections, then hardly ever collide.
func freeAddr(t testing.TB) (string, int) {
	t.Helper()
	host := fmt.Sprintf("127.%d.%d.%d", 1+mrand.IntN(254), mrand.IntN(256), 1+mrand.IntN(254))
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil { // only 127.0.0.1 is up (macOS, for one)
		host = "127.0.0.1"
		if l, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			t.Fatal(err)
		}
	}
	defer l.Close()
	return host, l.Addr().(*net.TCPAddr).Port
}

// freePortOn is a port free on host right now.
func freePortOn(t testing.TB, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serveOn starts the server start makes for a free loopback address, again
// on another address if it exits before answering (its port was taken
// meanwhile).
func serveOn(t testing.TB, name string, start func(host string, port int) (cmd *exec.Cmd, probe string)) (*syncBuffer, func()) {
	t.Helper()
	for try := 1; ; try++ {
		host, port := freeAddr(t)
		cmd, probe := start(host, port)
		out, stop, err := serve(t, name, cmd, probe)
		if err == nil {
			return out, stop
		}
		if try == 3 {
			t.Fatal(err)
		}
	}
}

// serve starts cmd, stops it when the test ends (SIGTERM, then SIGKILL after
// 5 s), and returns once probe answers HTTP at all. It returns the output
// and a stop function that returns once the output is complete; an error if
// cmd exits first.
func serve(t testing.TB, name string, cmd *exec.Cmd, probe string) (*syncBuffer, func(), error) {
	t.Helper()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := sync.OnceFunc(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(probe)
		if err == nil {
			res.Body.Close()
			return out, stop, nil
		}
		select {
		case <-done:
			return nil, nil, fmt.Errorf("%s exited before it answered: %s", name, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s within 30s: %s", name, probe, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Env returns the variables that point an AWS SDK (in this process or a
// child) at endpoint, with dummy credentials: no test reaches real AWS.
func Env(endpoint string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":         endpoint,
		"AWS_ENDPOINT_URL_EVENTBRIDGE":      endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": endpoint,
		"AWS_ENDPOINT_URL_SESV2":            endpoint,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":  endpoint,
		"AWS_ENDPOINT_URL_STS":              endpoint,
		"AWS_ENDPOINT_URL_SCHEDULER":        endpoint,
		"AWS_REGION":                        Region,
		"AWS_ACCESS_KEY_ID":                 "testing",
		"AWS_SECRET_ACCESS_KEY":             "testing",
		"AWS_SESSION_TOKEN":                 "",
		"AWS_PROFILE":                       "",
		"AWS_CONFIG_FILE":                   os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE":       os.DevNull,
		"AWS_EC2_METADATA_DISABLED":         "true",
	}
}

// AWSConfig is an SDK configuration for endpoint, loaded the way the
// functions load theirs: the standard AWS_ENDPOINT_URL_* variables point it
// at the emulator. It sets them for the test, so the test may not be parallel.
func AWSConfig(t *testing.T, endpoint string) aws.Config {
	t.Helper()
	for k, v := range Env(endpoint) {
		t.Setenv(k, v)
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// CreateTable creates template.yaml's table under name through db, with its
// TTL, and waits until it is active.
func CreateTable(t testing.TB, db *dynamodb.Client, name string) {
	t.Helper()
	tpl, err := samtemplate.Load(filepath.Join(Root(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := samtemplate.TableInput(tpl, samtemplate.TableLogicalID, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.CreateTable(ctx, table.Create); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("table %s not active: %v", name, err)
	}
	if table.TTLAttribute != "" {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
				AttributeName: aws.String(table.TTLAttribute), Enabled: aws.Bool(true),
			},
		})
		if err != nil {
			t.Fatalf("enable TTL on %s: %v", name, err)
		}
	}
}

// HTTPEvent is AWS's own sample HTTP API (payload 2.0) event from
// infra/events, turned into a POST /leads from the clinic's site with the
// given content type and body.
func HTTPEvent(t testing.TB, contentType, body string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := HTTPRequest(t, http.MethodPost, "POST /leads", "/leads", body)
	req.Headers["content-type"] = contentType
	req.Headers["origin"] = ClinicSite
	return req
}

// HTTPRequest is AWS's own sample HTTP API event turned into method on
// path, matched by routeKey (such as "GET /leads/{id}"), with body. Path
// parameters and the query are parsed from path, as API Gateway does.
func HTTPRequest(t testing.TB, method, routeKey, path, body string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), "infra/events/apigw-v2-request-no-authorizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	req.RouteKey, req.RawPath, req.RawQueryString = routeKey, u.EscapedPath(), u.RawQuery
	req.RequestContext.RouteKey = routeKey
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = method, u.Path
	req.QueryStringParameters = nil
	for k, v := range u.Query() {
		if req.QueryStringParameters == nil {
			req.QueryStringParameters = map[string]string{}
		}
		req.QueryStringParameters[k] = strings.Join(v, ",")
	}
	req.PathParameters = pathParameters(routeKey, u.Path)
	req.Headers["content-length"] = strconv.Itoa(len(body))
	if body != "" {
		req.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	req.Body = body
	return req
}

// pathParameters matches path against the route's {name} segments.
func pathParameters(routeKey, path string) map[string]string {
	_, pattern, _ := strings.Cut(routeKey, " ")
	want, got := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return nil
	}
	var params map[string]string
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if params == nil {
				params = map[string]string{}
			}
			params[w[1:len(w)-1]] = got[i]
		}
	}
	return params
}

// ClinicSite is the origin of the clinic's website in tests.
const ClinicSite = "https://www.example-clinic.com"
