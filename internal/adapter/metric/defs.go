package metric

import (
	"github.com/openclinic/leadhandler/internal/lead"
)

// Unit is a CloudWatch unit.
type Unit string

// The units the metrics use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
)

// Dimension is a dimension's key and every value it may take.
type Dimension struct {
	Key    string
	Values []string
}

// Def is one metric the functions emit: the single list (All) the emitters
// write from and a test holds the template's dashboard and alarms to.
type Def struct {
	// Function names the function emitting it, whose namespace is the
	// stack's name and this (METRIC_NAMESPACE: ${AWS::StackName}/submit).
	Function   string
	Name       string
	Unit       Unit
	Dimensions []Dimension
}

// Keys are the def's dimension keys, in order.
func (d Def) Keys() []string {
	keys := []string{}
	for _, dim := range d.Dimensions {
		keys = append(keys, dim.Key)
	}
	return keys
}

// The functions, as their namespaces end.
const (
	Submit     = "submit"
	Notify     = "notify"
	Staff      = "staff"
	FollowUp   = "followup"
	MailEvents = "mailevents"
)

// What Requests' Result and RequestsRefused's Reason may say.
const (
	ResultStored  = "stored"  // a new lead
	ResultReplay  = "replay"  // the same submission again (a double click, a retry)
	ResultHeld    = "held"    // caught by a bot trap, held for review
	ResultTrapped = "trapped" // caught by a bot trap, not valid: nothing kept
	ResultRefused = "refused" // answered 4xx: RequestsRefused says why
	ResultFailed  = "failed"  // answered 503: the store or a setting failed

	ReasonInvalid     = "invalid"      // fields the visitor must correct
	ReasonRateLimited = "rate-limited" // over RATE_LIMIT
	ReasonOrigin      = "origin"       // posted from a site not in ALLOWED_ORIGINS
	ReasonBotCheck    = "bot-check"    // Turnstile refused the token
	ReasonMalformed   = "malformed"    // not a POST, not JSON or a form, too large
	ReasonEdge        = "edge"         // without EDGE_ORIGIN_SECRET's header: around the edge
)

func outcomes() []string {
	var out []string
	for _, o := range lead.Outcomes {
		out = append(out, string(o))
	}
	return out
}

// Every metric the functions emit.
var (
	// LeadsStored counts stored leads (not replays, not held requests),
	// without dimensions: the template's LeadsQuietAlarm fires when it
	// stays at 0.
	LeadsStored = Def{Function: Submit, Name: "LeadsStored", Unit: Count}
	// LeadsBySource counts stored leads by the class of their source
	// (lead.Source.Class).
	LeadsBySource = Def{Function: Submit, Name: "LeadsBySource", Unit: Count,
		Dimensions: []Dimension{{Key: "Source", Values: lead.SourceClasses}}}
	// Requests counts every POST /leads by what came of it.
	Requests = Def{Function: Submit, Name: "Requests", Unit: Count,
		Dimensions: []Dimension{{Key: "Result", Values: []string{ResultStored, ResultReplay, ResultHeld, ResultTrapped, ResultRefused, ResultFailed}}}}
	// RequestsRefused counts the refused requests by the class of reason.
	RequestsRefused = Def{Function: Submit, Name: "RequestsRefused", Unit: Count,
		Dimensions: []Dimension{{Key: "Reason", Values: []string{ReasonInvalid, ReasonRateLimited, ReasonOrigin, ReasonBotCheck, ReasonMalformed, ReasonEdge}}}}

	// AlertsSent counts the clinic alerts SES accepted; AlertLatency is,
	// for each, the time from the lead's storing to SES accepting its alert.
	AlertsSent   = Def{Function: Notify, Name: "AlertsSent", Unit: Count}
	AlertLatency = Def{Function: Notify, Name: "AlertLatency", Unit: Milliseconds}
	// RecordsFailed counts the new leads notify could not alert on in a
	// try (the stream retries them): the function reports them as the
	// batch's failures, which Lambda's Errors never counts, so the rollback
	// of a notify deployment watches this.
	RecordsFailed = Def{Function: Notify, Name: "RecordsFailed", Unit: Count}
	// AlertsHeldBack counts the new leads notify stored no alert,
	// acknowledgement or text for, because the clinic-wide ALERT_LIMIT
	// was used up: the template's AlertLimitAlarm fires on it.
	AlertsHeldBack = Def{Function: Notify, Name: "AlertsHeldBack", Unit: Count}

	// TimeToFirstAttempt is, for each lead at its first recorded attempt,
	// the opening time (OPENING_HOURS) since its request;
	// TimeToFirstAttemptWallClock the plain time.
	TimeToFirstAttempt          = Def{Function: Staff, Name: "TimeToFirstAttempt", Unit: Seconds}
	TimeToFirstAttemptWallClock = Def{Function: Staff, Name: "TimeToFirstAttemptWallClock", Unit: Seconds}
	// TimeToFirstReach and TimeToFirstReachWallClock: the same, at the
	// first attempt that reached the patient.
	TimeToFirstReach          = Def{Function: Staff, Name: "TimeToFirstReach", Unit: Seconds}
	TimeToFirstReachWallClock = Def{Function: Staff, Name: "TimeToFirstReachWallClock", Unit: Seconds}
	// Attempts counts the recorded attempts by their outcome.
	Attempts = Def{Function: Staff, Name: "Attempts", Unit: Count,
		Dimensions: []Dimension{{Key: "Outcome", Values: outcomes()}}}
	// LeadsClosed counts leads closed, by why.
	LeadsClosed = Def{Function: Staff, Name: "LeadsClosed", Unit: Count,
		Dimensions: []Dimension{{Key: "Outcome", Values: []string{string(lead.ClosedBooked), string(lead.ClosedNotInterested), string(lead.ClosedWrongNumber), string(lead.ClosedUnreachable), string(lead.ClosedNotReachedAgain)}}}}

	// DigestSize is the number of leads (and held requests) a sent daily
	// digest lists; DigestOverdue those past ESCALATE_AFTER.
	DigestSize    = Def{Function: FollowUp, Name: "DigestSize", Unit: Count}
	DigestOverdue = Def{Function: FollowUp, Name: "DigestOverdue", Unit: Count}
	// NudgesSent counts the requests the response guard's nudges are about
	// (a nudge names every request due at its time).
	NudgesSent = Def{Function: FollowUp, Name: "NudgesSent", Unit: Count}

	// AlertDelivery counts what SES reported of the clinic alerts.
	AlertDelivery = Def{Function: MailEvents, Name: "AlertDelivery", Unit: Count,
		Dimensions: []Dimension{{Key: "Result", Values: []string{string(lead.MailDelivered), string(lead.MailBounced), string(lead.MailComplained), string(lead.MailRejected), string(lead.MailDelayed)}}}}
)

// All lists every metric the functions emit.
var All = []Def{
	LeadsStored, LeadsBySource, Requests, RequestsRefused,
	AlertsSent, AlertLatency, RecordsFailed, AlertsHeldBack,
	TimeToFirstAttempt, TimeToFirstAttemptWallClock, TimeToFirstReach, TimeToFirstReachWallClock, Attempts, LeadsClosed,
	DigestSize, DigestOverdue, NudgesSent,
	AlertDelivery,
}
