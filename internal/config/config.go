// Package config loads each function's settings from its environment. Every
// variable is documented in README.md; a missing or malformed one fails the
// cold start with an error naming it.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// Submit is the submit function's configuration.
type Submit struct {
	// Table is LEADS_TABLE: the DynamoDB table holding leads and counters.
	Table string
	// AllowedOrigins is ALLOWED_ORIGINS: the sites whose pages may post the
	// form, as scheme://host[:port], comma-separated.
	AllowedOrigins []string
	// ThankYouURL is THANK_YOU_URL: where a form posted without JavaScript
	// is redirected. Empty: back to the form's page with submitted=1.
	ThankYouURL string
	// RateLimit is RATE_LIMIT: submissions per client, "5/1h" by default,
	// "0" to disable.
	RateLimit ratelimit.Limit
	// RateLimitSalt is RATE_LIMIT_SALT: the salt of the client address hash.
	// Required unless the limit is disabled.
	RateLimitSalt []byte
	// Retention is RETENTION_DAYS: how long a lead is kept, 365 days by default.
	Retention time.Duration
	// PhoneRegion is PHONE_REGION: the region assumed for phone numbers
	// written without a country code, US by default.
	PhoneRegion string
	// ConsentVersion is CONSENT_VERSION: the consent text version recorded
	// when the form does not send one, "1" by default.
	ConsentVersion string
	// MinFillTime is MIN_FILL_TIME: a form sent sooner after it was shown is
	// taken for a bot's, 2s by default.
	MinFillTime time.Duration
}

// LoadSubmit reads the submit function's configuration through getenv.
func LoadSubmit(getenv func(string) string) (Submit, error) {
	e := env{getenv: getenv}
	c := Submit{
		Table:          e.required("LEADS_TABLE"),
		AllowedOrigins: e.origins("ALLOWED_ORIGINS"),
		ThankYouURL:    e.webURL("THANK_YOU_URL"),
		Retention:      time.Duration(e.positiveInt("RETENTION_DAYS", 365)) * 24 * time.Hour,
		PhoneRegion:    e.region("PHONE_REGION", "US"),
		ConsentVersion: e.text("CONSENT_VERSION", "1"),
		MinFillTime:    e.duration("MIN_FILL_TIME", 2*time.Second),
	}
	limit, err := ratelimit.Parse(e.text("RATE_LIMIT", "5/1h"))
	if err != nil {
		e.fail("RATE_LIMIT", err.Error())
	}
	c.RateLimit = limit
	if limit.Enabled() {
		c.RateLimitSalt = []byte(e.required("RATE_LIMIT_SALT"))
	}
	return c, e.err()
}

// env collects every problem, so one failed cold start names them all.
type env struct {
	getenv func(string) string
	errs   []error
}

func (e *env) fail(name, why string) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, why))
}

func (e *env) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %w", errors.Join(e.errs...))
}

func (e *env) text(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *env) required(name string) string {
	v := e.text(name, "")
	if v == "" {
		e.fail(name, "is required")
	}
	return v
}

func (e *env) positiveInt(name string, def int) int {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		e.fail(name, fmt.Sprintf("want a whole number of at least 1, got %q", v))
	}
	return n
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail(name, fmt.Sprintf("want a duration such as 2s or 24h, got %q", v))
	}
	return d
}

func (e *env) region(name, def string) string {
	v := strings.ToUpper(e.text(name, def))
	// Only the shape is checked here: the phone library that knows the
	// regions weighs on every cold start, so it stays in the submit path.
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		e.fail(name, fmt.Sprintf("want a two-letter region code such as US or GB, got %q", v))
	}
	return v
}

func (e *env) webURL(name string) string {
	v := e.text(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		e.fail(name, fmt.Sprintf("want an absolute http(s) URL, got %q", v))
	}
	return v
}

// origins reads a comma-separated list of web origins, each
// scheme://host[:port] with no path, as browsers send them in Origin.
func (e *env) origins(name string) []string {
	var out []string
	for _, o := range strings.Split(e.required(name), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			e.fail(name, fmt.Sprintf("want origins such as https://www.example-clinic.com, got %q", o))
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}
