package submit

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/lead"
)

// outcome is what came of a request. The answer, the log line's outcome
// and the metrics' dimension values all follow from it, here.
type outcome int

const (
	stored                 outcome = iota // a new lead
	replayed                              // a lead's submission again
	held                                  // caught by a bot trap, otherwise valid: held for review
	heldReplayed                          // a held request's submission again
	trapped                               // caught by a bot trap, not valid: only charged
	invalid                               // fields the visitor must correct
	turnstileRejected                     // Turnstile refused the token
	limited                               // valid, over the rate limit
	trappedLimited                        // caught by a bot trap, over the rate limit
	wrongMethod                           // not a POST
	wrongOrigin                           // posted from a site not in ALLOWED_ORIGINS
	wrongMediaType                        // neither JSON nor a form, or not UTF-8
	tooLarge                              // over MaxBody
	storeError                            // the store failed
	turnstileMisconfigured                // Cloudflare refused our Turnstile secret
	notViaEdge                            // without EDGE_ORIGIN_SECRET: the API's own URL, around the edge
)

// outcomes name each outcome in the log line and as the Requests metric's
// Result, with RequestsRefused's Reason for a refused one: words the
// template's alarms and dashboard match (metric.Requests).
var outcomes = [...]struct{ log, result, reason string }{
	stored:                 {"stored", metric.ResultStored, ""},
	replayed:               {"replay", metric.ResultReplay, ""},
	held:                   {"held", metric.ResultHeld, ""},
	heldReplayed:           {"held-replay", metric.ResultReplay, ""},
	trapped:                {"trapped", metric.ResultTrapped, ""},
	invalid:                {"invalid", metric.ResultRefused, metric.ReasonInvalid},
	turnstileRejected:      {"turnstile-rejected", metric.ResultRefused, metric.ReasonBotCheck},
	limited:                {"limited", metric.ResultRefused, metric.ReasonRateLimited},
	trappedLimited:         {"trapped-limited", metric.ResultRefused, metric.ReasonRateLimited},
	wrongMethod:            {"method", metric.ResultRefused, metric.ReasonMalformed},
	wrongOrigin:            {"origin", metric.ResultRefused, metric.ReasonOrigin},
	wrongMediaType:         {"media-type", metric.ResultRefused, metric.ReasonMalformed},
	tooLarge:               {"too-large", metric.ResultRefused, metric.ReasonMalformed},
	storeError:             {"store-error", metric.ResultFailed, ""},
	turnstileMisconfigured: {"turnstile-misconfigured", metric.ResultFailed, ""},
	notViaEdge:             {"not-via-edge", metric.ResultRefused, metric.ReasonEdge},
}

// result is what came of a request and what its answer needs.
type result struct {
	kind outcome
	// post is the request as read, empty for one refused before reading.
	post post
	// id is the lead's or the held request's, once the request was read
	// as one.
	id string
	// err says what the visitor must correct (invalid, turnstileRejected).
	err error
	// at and how are when the request was taken and how the visitor asked
	// to be contacted, for the thank-you (an accepted one).
	at  time.Time
	how lead.ContactMethod
}

// answer is the response to a request that came to r.
func (h *Handler) answer(log *slog.Logger, r result) events.APIGatewayV2HTTPResponse {
	switch r.kind {
	case stored, held:
		return h.accepted(r.id, http.StatusCreated, r)
	case replayed, heldReplayed:
		return h.accepted(r.id, http.StatusOK, r)
	case trapped:
		// Answered as if taken, so the bot learns nothing; the id names
		// nothing stored.
		id := strings.ToLower(r.post.sub.SubmissionID)
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
			id = newID()
		}
		return h.accepted(id, http.StatusCreated, r)
	case invalid, turnstileRejected:
		return h.badRequest(log, r.err, r.post)
	case limited, trappedLimited:
		return tooMany(*r.post.charge, r.post.now)
	case wrongMethod:
		res := jsonError(http.StatusMethodNotAllowed, "Only POST is accepted here.")
		res.Headers["Allow"] = http.MethodPost
		return res
	case wrongOrigin:
		return jsonError(http.StatusForbidden, "Requests from this site are not accepted.")
	case notViaEdge:
		return jsonError(http.StatusForbidden, "Requests to this address are not accepted.")
	case wrongMediaType:
		return jsonError(http.StatusUnsupportedMediaType,
			"Send the form as application/json or application/x-www-form-urlencoded (UTF-8).")
	case tooLarge:
		return jsonError(http.StatusRequestEntityTooLarge, "The request is too large.")
	}
	return storeDown() // storeError, turnstileMisconfigured
}
