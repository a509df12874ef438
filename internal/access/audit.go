package access

// The audit trail records who opened or changed which lead, and who signed
// in or out, when, under which request. An entry never holds a patient's
// details: only the lead's id.

import "time"

// Action is what was done.
type Action string

// The actions the trail records.
const (
	View       Action = "view"        // a lead's page was shown
	Attempt    Action = "attempt"     // an attempt was recorded
	Correct    Action = "correct"     // the latest outcome was corrected
	Reopen     Action = "reopen"      // a closed lead was reopened
	SignIn     Action = "sign-in"     // a code was taken: a session began
	FailedCode Action = "failed-code" // a wrong, used, expired or locked code was entered
	SignOut    Action = "sign-out"    // a session was ended by its holder
	SignOutAll Action = "sign-out-all"
	// Held requests (the bot traps' catch), under the held request's id.
	ViewHeld   Action = "view-held"   // the review page was shown (no id)
	Release    Action = "release"     // a held request became a lead
	DeleteHeld Action = "delete-held" // a held request was deleted
	// The owner's figures (no id; Span says which requests).
	Export    Action = "export"     // the span's requests were downloaded without free text
	ExportPII Action = "export-pii" // the span's requests were downloaded with names, contacts and free text
	// A returning patient's older open request, closed as a duplicate of
	// the newer one staff recorded an attempt on (under the older's id).
	CloseDuplicate Action = "close-duplicate"
	// A patient's data (internal/patient): never the contact, only counts.
	PatientExport Action = "patient-export" // every stored request of one contact was read out (Requests says how many)
	Erase         Action = "erase"          // one contact's requests were erased (Requests, Items; Lead: the page's lead)
)

// ByLink is the actor of what a session started by an emailed link did.
const ByLink = "emailed link"

// ByOps is the request id of what ops did with make: a sign-out-all entry
// names the staff member whose sessions make staff-signout ended.
const ByOps = "make staff-signout"

// AuditRetention is how long an entry is kept when AUDIT_RETENTION_DAYS
// is not set: six years.
const AuditRetention = 2190 * 24 * time.Hour

// AuditEntry is one audited act.
type AuditEntry struct {
	At time.Time
	// Actor is the staff member's email, or ByLink.
	Actor  string
	Action Action
	// Lead is the lead's id; "" for sign-in, sign-out and failed codes.
	Lead string
	// RequestID is the API request's id (its log lines carry the same).
	RequestID string
	// Span is the dates of the requests an export held, "2026-11-30..2026-12-06"
	// (clinic time, inclusive); "" for other actions.
	Span string
	// Requests and Items count what a patient export or an erase took in:
	// the contact's requests, and the items the erase deleted (requests,
	// held requests, index entries). Zero for other actions.
	Requests, Items int
	// Expires is when the entry may be deleted (AUDIT_RETENTION_DAYS).
	Expires time.Time
}
