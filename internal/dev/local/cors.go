package local

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
)

// cors plays the HTTP API's CorsConfiguration (template.yaml) as API
// Gateway applies it: API Gateway answers a preflight itself (the function
// never sees OPTIONS), adds its CORS headers to the function's answer to a
// request from an allowed origin, and ignores any CORS header the function
// sets. An origin not allowed gets no CORS header at all, so the browser
// refuses the answer.
type cors struct {
	samtemplate.CORS
	enabled bool
}

// allows says whether origin is one of AllowOrigins, as API Gateway
// matches them: exactly, or "*" for any.
func (c cors) allows(origin string) bool {
	return c.enabled && origin != "" && (slices.Contains(c.AllowOrigins, origin) || slices.Contains(c.AllowOrigins, "*"))
}

// allowOrigin is the Access-Control-Allow-Origin value for origin.
func (c cors) allowOrigin(origin string) string {
	if slices.Contains(c.AllowOrigins, "*") && !slices.Contains(c.AllowOrigins, origin) {
		return "*"
	}
	return origin
}

// isPreflight says whether API Gateway takes r for a CORS preflight: an
// OPTIONS with an Origin and an Access-Control-Request-Method.
func (c cors) isPreflight(r *http.Request) bool {
	return c.enabled && r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a preflight as API Gateway does: 204, with the
// configured headers only when the origin is allowed.
func (c cors) preflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if c.allows(origin) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", c.allowOrigin(origin))
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// respond sets the CORS headers of the answer to r (the function's own
// are dropped apart).
func (c cors) respond(h http.Header, r *http.Request) {
	origin := r.Header.Get("Origin")
	if !c.allows(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", c.allowOrigin(origin))
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}
