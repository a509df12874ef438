package testenv

import (
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
)

// Fault is an answer a Proxy gives instead of forwarding a request.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
}

// Proxy forwards to target, except the requests fault answers for. It
// counts what it forwarded and what it failed.
type Proxy struct {
	URL                string
	Forwarded, Faulted atomic.Int64
}

// NewProxy starts a proxy in front of target for the test; fault returns
// nil to forward a request.
func NewProxy(t testing.TB, target string, fault func(*http.Request) *Fault) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := fault(r); f != nil {
			p.Faulted.Add(1)
			for k, v := range f.Header {
				w.Header().Set(k, v)
			}
			// DynamoDB's SDK checks this on every answer, errors included.
			w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(f.Body))), 10))
			w.WriteHeader(f.Status)
			w.Write([]byte(f.Body))
			return
		}
		p.Forwarded.Add(1)
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// DynamoDBThrottling is DynamoDB's answer when a table's capacity is
// exceeded; the SDK retries it.
var DynamoDBThrottling = &Fault{
	Status: http.StatusBadRequest,
	Header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amzn-ErrorType": "ThrottlingException"},
	Body:   `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`,
}

// SESThrottling is SES v2's answer over its sending rate.
var SESThrottling = &Fault{
	Status: http.StatusTooManyRequests,
	Header: map[string]string{"Content-Type": "application/json", "X-Amzn-ErrorType": "TooManyRequestsException"},
	Body:   `{"message":"Maximum sending rate exceeded."}`,
}

// DynamoDBOperation is the operation a DynamoDB request calls.
func DynamoDBOperation(r *http.Request) string {
	target := r.Header.Get("X-Amz-Target")
	if i := len("DynamoDB_20120810."); len(target) > i {
		return target[i:]
	}
	return ""
}
