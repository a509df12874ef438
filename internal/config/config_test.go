package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// zoneByName compares time zones by name.
var zoneByName = cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })

func TestLoadSubmitDefaults(t *testing.T) {
	got, err := LoadSubmit(getenv(map[string]string{
		"LEADS_TABLE":     "leads",
		"ALLOWED_ORIGINS": " https://www.Example-Clinic.com , http://localhost:3000/",
		"RATE_LIMIT_SALT": "s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Submit{
		Table:          "leads",
		AllowedOrigins: []string{"https://www.example-clinic.com", "http://localhost:3000"},
		RateLimit:      ratelimit.Limit{Count: 10, Window: time.Hour},
		RateLimitSalt:  []byte("s"),
		Retention:      365 * 24 * time.Hour,
		PhoneRegion:    "US",
		ConsentVersion: "1",
		MinFillTime:    time.Second,
		HeldRetention:  14 * 24 * time.Hour,
		TimeZone:       time.UTC,
		SLA:            15 * time.Minute,
	}
	if diff := cmp.Diff(got, want, zoneByName, cmpopts.IgnoreFields(Submit{}, "Hours")); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestLoadSubmitSettings(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadSubmit(getenv(map[string]string{
		"LEADS_TABLE":         "leads",
		"ALLOWED_ORIGINS":     "https://example-clinic.com",
		"THANK_YOU_URL":       "https://example-clinic.com/thanks",
		"RATE_LIMIT":          "0",
		"RETENTION_DAYS":      "90",
		"PHONE_REGION":        "gb",
		"CONSENT_VERSION":     "2026-02",
		"MIN_FILL_TIME":       "3s",
		"HELD_RETENTION_DAYS": "7",
		"TIME_ZONE":           "America/New_York",
		"OPENING_HOURS":       "Mon-Fri 09:00-17:00",
		"RESPONSE_SLA":        "30m",
		"CLINIC_PHONE":        "+1 555 0100",
		"BOOKING_URL":         "https://book.example.com/new",
	}))
	if err != nil {
		t.Fatal(err)
	}
	// Saturday noon in New York: closed, opening Monday at 9.
	if sat := time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC); !got.Hours.NextOpen(sat).Equal(time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("OPENING_HOURS in TIME_ZONE: next open after %v is %v", sat, got.Hours.NextOpen(sat))
	}
	want := Submit{
		Table:          "leads",
		AllowedOrigins: []string{"https://example-clinic.com"},
		ThankYouURL:    "https://example-clinic.com/thanks",
		Retention:      90 * 24 * time.Hour,
		PhoneRegion:    "GB",
		ConsentVersion: "2026-02",
		MinFillTime:    3 * time.Second,
		HeldRetention:  7 * 24 * time.Hour,
		TimeZone:       newYork,
		SLA:            30 * time.Minute,
		ClinicPhone:    "+1 555 0100",
		BookingURL:     "https://book.example.com/new",
	}
	if diff := cmp.Diff(got, want, zoneByName, cmpopts.IgnoreFields(Submit{}, "Hours")); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestLoadSubmitNamesEveryBadVariable(t *testing.T) {
	_, err := LoadSubmit(getenv(map[string]string{
		"ALLOWED_ORIGINS": "https://example-clinic.com/contact",
		"THANK_YOU_URL":   "/thanks",
		"RATE_LIMIT":      "5/forever",
		"RETENTION_DAYS":  "-1",
		"PHONE_REGION":    "USA",
		"MIN_FILL_TIME":   "2",
		"OPENING_HOURS":   "weekdays",
		"RESPONSE_SLA":    "0s",
		"BOOKING_URL":     "http://book.example.com/new",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"LEADS_TABLE", "ALLOWED_ORIGINS", "THANK_YOU_URL", "RATE_LIMIT", "RETENTION_DAYS", "PHONE_REGION", "MIN_FILL_TIME", "OPENING_HOURS", "RESPONSE_SLA", "BOOKING_URL"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "RATE_LIMIT_SALT") {
		t.Errorf("salt demanded although the limit itself is bad: %v", err)
	}
}

func TestSaltRequiredOnlyWhenLimiting(t *testing.T) {
	base := map[string]string{"LEADS_TABLE": "t", "ALLOWED_ORIGINS": "https://a.example"}
	if _, err := LoadSubmit(getenv(base)); err == nil || !strings.Contains(err.Error(), "RATE_LIMIT_SALT") {
		t.Errorf("default limit without salt: got %v, want an error naming RATE_LIMIT_SALT", err)
	}
	base["RATE_LIMIT"] = "0"
	if _, err := LoadSubmit(getenv(base)); err != nil {
		t.Errorf("limit disabled: %v", err)
	}
}

func TestLoadNotify(t *testing.T) {
	got, err := LoadNotify(getenv(map[string]string{
		"LEADS_TABLE":     "leads",
		"CLINIC_NAME":     "Relief Physical Therapy",
		"CLINIC_EMAIL":    "frontdesk@example-clinic.com, dr.lee@example-clinic.com",
		"SENDER_EMAIL":    "alerts@example-clinic.com",
		"TIME_ZONE":       "America/Chicago",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com/",
		"EMAIL_DETAIL":    "MINIMAL",
		"ACK_EMAIL":       "true",

		"SES_CONFIGURATION_SET": "leadhandler-mail",
	}))
	if err != nil {
		t.Fatal(err)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	want := Notify{
		Mail: Mail{
			Table: "leads", ClinicName: "Relief Physical Therapy",
			ClinicEmails: []string{"frontdesk@example-clinic.com", "dr.lee@example-clinic.com"},
			SenderEmail:  "alerts@example-clinic.com", TimeZone: chicago,
			PublicBaseURL: "https://api.example-clinic.com", LinkTTL: 72 * time.Hour,
			ConfigurationSet: "leadhandler-mail",
		},
		MinimalDetail: true, Ack: true, Concurrency: 10, SendRate: 14,
		Guard:      Guard{SLA: 15 * time.Minute}, // Hours: TestLoadGuard
		AlertLimit: ratelimit.Limit{Count: 100, Window: time.Hour},
		PatientSMS: PatientSMSOff, // no texts to patients unless asked for
		// Without STAFF_EMAILS, CLINIC_EMAIL's addresses sign in (as staff
		// reads it): notify emails their codes.
		StaffEmails: []string{"frontdesk@example-clinic.com", "dr.lee@example-clinic.com"},
		// A returning patient is recognised a year back, as long as a
		// lead is kept.
		PatientMemory: 365 * 24 * time.Hour, Retention: 365 * 24 * time.Hour,
	}
	if diff := cmp.Diff(got, want, cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }), cmpopts.IgnoreFields(Guard{}, "Hours")); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

// TestEmailDetailIsMinimalByDefault: the reason for the visit is health
// information; it reaches mailboxes only when the clinic asks for it.
func TestEmailDetailIsMinimalByDefault(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago", "PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for detail, minimal := range map[string]bool{"": true, "minimal": true, "full": false, "Full": false} {
		env["EMAIL_DETAIL"] = detail
		got, err := LoadNotify(getenv(env))
		if err != nil || got.MinimalDetail != minimal {
			t.Errorf("EMAIL_DETAIL=%q: minimal %v, %v; want %v", detail, got.MinimalDetail, err, minimal)
		}
	}
}

// TestAckEmailIsOnByDefault: a visitor who gave an email hears back at
// once unless the clinic turns it off.
func TestAckEmailIsOnByDefault(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago", "PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for v, ack := range map[string]bool{"": true, "true": true, "TRUE": true, "false": false, "False": false} {
		env["ACK_EMAIL"] = v
		got, err := LoadNotify(getenv(env))
		if err != nil || got.Ack != ack {
			t.Errorf("ACK_EMAIL=%q: ack %v, %v; want %v", v, got.Ack, err, ack)
		}
	}
}

// TestBookingURL: BOOKING_URL reaches patients, so only an absolute https
// URL is taken; anything else fails the cold start naming it.
func TestBookingURL(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago", "PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for _, v := range []string{"", "https://book.example.com/new", "https://book.example.com/new?clinic=7&src=ack", "https://example.com:8443/"} {
		env["BOOKING_URL"] = v
		got, err := LoadNotify(getenv(env))
		if err != nil || got.BookingURL != v {
			t.Errorf("BOOKING_URL=%q: %q, %v; want it as given", v, got.BookingURL, err)
		}
	}
	for _, v := range []string{
		"http://book.example.com/new", "book.example.com/new", "//book.example.com/new", "https:book.example.com",
		"https:/book.example.com", "javascript:alert(1)", "https://user:pw@book.example.com/", "https://book.example.com/a b",
		"https://book.example.com/\"><script>", "https://book.example.com/\nBcc: x", "ftp://book.example.com/",
	} {
		env["BOOKING_URL"] = v
		_, err := LoadNotify(getenv(env))
		if err == nil || !strings.Contains(err.Error(), "BOOKING_URL:") || !strings.Contains(err.Error(), "https") {
			t.Errorf("BOOKING_URL=%q: %v, want an error naming it and asking for https", v, err)
		}
	}
}

// TestPatientSMS: PATIENT_SMS=on texts those who chose text, all also
// those who chose a call; off (the default) nobody; nobody who chose
// email.
func TestPatientSMS(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago", "PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for v, want := range map[string][3]bool{"": {}, "off": {}, "on": {true, false, false}, "ON": {true, false, false}, "all": {true, true, false}} {
		env["PATIENT_SMS"] = v
		got, err := LoadNotify(getenv(env))
		if err != nil {
			t.Fatalf("PATIENT_SMS=%q: %v", v, err)
		}
		if texts := [3]bool{got.PatientSMS.Texts(lead.ByText), got.PatientSMS.Texts(lead.ByPhone), got.PatientSMS.Texts(lead.ByEmail)}; texts != want {
			t.Errorf("PATIENT_SMS=%q: texts (text, phone, email) %v, want %v", v, texts, want)
		}
	}
}

// TestPatientMemory: PATIENT_MEMORY_DAYS is whole days, 0 (recognition
// off) or more; anything else fails the cold start naming it.
func TestPatientMemory(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago", "PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for v, want := range map[string]time.Duration{"": 365 * 24 * time.Hour, "0": 0, "30": 30 * 24 * time.Hour, " 730 ": 730 * 24 * time.Hour} {
		env["PATIENT_MEMORY_DAYS"] = v
		got, err := LoadNotify(getenv(env))
		if err != nil || got.PatientMemory != want {
			t.Errorf("PATIENT_MEMORY_DAYS=%q: %v, %v; want %v", v, got.PatientMemory, err, want)
		}
	}
	for _, v := range []string{"-1", "1.5", "1y", "36501"} {
		env["PATIENT_MEMORY_DAYS"] = v
		if _, err := LoadNotify(getenv(env)); err == nil || !strings.Contains(err.Error(), "PATIENT_MEMORY_DAYS:") {
			t.Errorf("PATIENT_MEMORY_DAYS=%q: %v, want an error naming it", v, err)
		}
	}
}

func TestLoadNotifyNamesEveryBadVariable(t *testing.T) {
	_, err := LoadNotify(getenv(map[string]string{
		"CLINIC_NAME":     "Clinic\nBcc: x@example.com",
		"CLINIC_EMAIL":    "Front Desk <fd@example-clinic.com>",
		"SENDER_EMAIL":    "nope",
		"TIME_ZONE":       "Mars/Olympus",
		"PUBLIC_BASE_URL": "api.example-clinic.com",
		"LINK_TTL":        "forever",
		"EMAIL_DETAIL":    "some",
		"ACK_EMAIL":       "yes",
		"ALERT_LIMIT":     "100",
		"PATIENT_SMS":     "yes",

		"SES_CONFIGURATION_SET": "lead handler",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"LEADS_TABLE", "CLINIC_NAME", "CLINIC_EMAIL", "SENDER_EMAIL", "TIME_ZONE", "PUBLIC_BASE_URL", "LINK_TTL", "EMAIL_DETAIL", "ACK_EMAIL", "ALERT_LIMIT", "PATIENT_SMS", "SES_CONFIGURATION_SET"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestLoadFollowUp(t *testing.T) {
	base := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "Europe/London",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	got, err := LoadFollowUp(getenv(base))
	if err != nil {
		t.Fatal(err)
	}
	if got.After != 24*time.Hour || got.EscalateAfter != 72*time.Hour || got.EscalationEmails != nil || got.Hour != 8 || got.SLA != 15*time.Minute {
		t.Errorf("defaults: after %v, escalate %v, escalation %v, hour %d, sla %v", got.After, got.EscalateAfter, got.EscalationEmails, got.Hour, got.SLA)
	}
	for v, want := range map[string]int{"0": 0, "23": 23, " 9 ": 9} {
		hour := maps.Clone(base)
		hour["FOLLOW_UP_HOUR"] = v
		if got, err := LoadFollowUp(getenv(hour)); err != nil || got.Hour != want {
			t.Errorf("FOLLOW_UP_HOUR=%q: %d %v, want %d", v, got.Hour, err, want)
		}
	}
	for _, v := range []string{"24", "-1", "8am", "08:00"} {
		hour := maps.Clone(base)
		hour["FOLLOW_UP_HOUR"] = v
		if _, err := LoadFollowUp(getenv(hour)); err == nil || !strings.Contains(err.Error(), "FOLLOW_UP_HOUR:") {
			t.Errorf("FOLLOW_UP_HOUR=%q: %v, want an error naming it", v, err)
		}
	}
	// The report goes to the clinic, and counts the default opening hours
	// (hours.Default, as every function does), unless told.
	saturdayNight := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	if !slices.Equal(got.Report.Emails, []string{"fd@example-clinic.com"}) || got.Report.Hours.Between(saturdayNight, saturdayNight.Add(time.Hour)) != 0 {
		t.Errorf("report defaults: to %v, a Saturday night hour counts %v", got.Report.Emails, got.Report.Hours.Between(saturdayNight, saturdayNight.Add(time.Hour)))
	}
	withReport := maps.Clone(base)
	withReport["REPORT_EMAIL"], withReport["OPENING_HOURS"] = "owner@example-clinic.com, manager@example-clinic.com", "always"
	if got, err := LoadFollowUp(getenv(withReport)); err != nil || len(got.Report.Emails) != 2 || got.Report.Hours.Between(saturdayNight, saturdayNight.Add(time.Hour)) != time.Hour {
		t.Errorf("report settings: %v, to %v", err, got.Report.Emails)
	}
	withReport["REPORT_EMAIL"], withReport["OPENING_HOURS"] = "Owner <o@example.com>", "sometimes"
	_, err = LoadFollowUp(getenv(withReport))
	for _, name := range []string{"REPORT_EMAIL", "OPENING_HOURS"} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	base["FOLLOW_UP_AFTER"], base["ESCALATE_AFTER"], base["ESCALATION_EMAIL"], base["RESPONSE_SLA"] = "12h", "48h", "owner@example-clinic.com", "30m"
	got, err = LoadFollowUp(getenv(base))
	if err != nil {
		t.Fatal(err)
	}
	if got.After != 12*time.Hour || got.EscalateAfter != 48*time.Hour || len(got.EscalationEmails) != 1 || got.SLA != 30*time.Minute {
		t.Errorf("settings: after %v, escalate %v, escalation %v, sla %v", got.After, got.EscalateAfter, got.EscalationEmails, got.SLA)
	}
	base["ESCALATE_AFTER"], base["ESCALATION_EMAIL"], base["RESPONSE_SLA"] = "6h", "Owner <o@example.com>", "0s"
	_, err = LoadFollowUp(getenv(base))
	for _, name := range []string{"ESCALATE_AFTER", "ESCALATION_EMAIL", "RESPONSE_SLA"} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestLoadStaff(t *testing.T) {
	if _, err := LoadStaff(getenv(map[string]string{"TIME_ZONE": "Nowhere/Town"})); err == nil ||
		!strings.Contains(err.Error(), "LEADS_TABLE:") || !strings.Contains(err.Error(), "CLINIC_NAME:") || !strings.Contains(err.Error(), "TIME_ZONE:") {
		t.Errorf("got %v, want an error naming LEADS_TABLE, CLINIC_NAME and TIME_ZONE", err)
	}
	staffEnv := func(more ...string) map[string]string {
		m := map[string]string{"LEADS_TABLE": "t", "CLINIC_NAME": "Relief", "TIME_ZONE": "UTC",
			"SENDER_EMAIL": "alerts@example-clinic.com", "CLINIC_EMAIL": "frontdesk@example-clinic.com, owner@example-clinic.com"}
		for i := 0; i+1 < len(more); i += 2 {
			m[more[i]] = more[i+1]
		}
		return m
	}
	got, err := LoadStaff(getenv(staffEnv("TIME_ZONE", "Asia/Tokyo")))
	if err != nil || got.TimeZone.String() != "Asia/Tokyo" || got.Policy.Hours.Location() != got.TimeZone || got.LinkTTL != 72*time.Hour ||
		!slices.Equal(got.StaffEmails, []string{"frontdesk@example-clinic.com", "owner@example-clinic.com"}) ||
		got.SessionTTL != 12*time.Hour || got.SessionMax != 7*24*time.Hour || got.SignIn != SignInInbox || got.AuditRetention != 2190*24*time.Hour ||
		got.Policy.MaxAttempts != 6 || !slices.Equal(got.Policy.Cadence, []time.Duration{10 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 48 * time.Hour}) {
		t.Errorf("got %+v, %v", got, err)
	}
	got, err = LoadStaff(getenv(staffEnv("CALLBACK_CADENCE", "30m,3d", "MAX_ATTEMPTS", "2", "STAFF_EMAILS", "desk@example-clinic.com",
		"STAFF_SESSION_TTL", "8h", "STAFF_SESSION_MAX", "24h", "STAFF_SIGNIN", "always", "AUDIT_RETENTION_DAYS", "30")))
	if err != nil || got.Policy.MaxAttempts != 2 || !slices.Equal(got.Policy.Cadence, []time.Duration{30 * time.Minute, 72 * time.Hour}) ||
		!slices.Equal(got.StaffEmails, []string{"desk@example-clinic.com"}) || got.SessionTTL != 8*time.Hour || got.SessionMax != 24*time.Hour || got.SignIn != SignInAlways ||
		got.AuditRetention != 30*24*time.Hour {
		t.Errorf("got %+v, %v", got, err)
	}
	// OWNER_EMAILS: else REPORT_EMAIL's, else CLINIC_EMAIL's.
	for _, c := range []struct {
		env  []string
		want []string
	}{
		{nil, []string{"frontdesk@example-clinic.com", "owner@example-clinic.com"}},
		{[]string{"REPORT_EMAIL", "boss@example-clinic.com"}, []string{"boss@example-clinic.com"}},
		{[]string{"REPORT_EMAIL", "boss@example-clinic.com", "OWNER_EMAILS", "a@example-clinic.com, b@example-clinic.com"}, []string{"a@example-clinic.com", "b@example-clinic.com"}},
	} {
		if got, err := LoadStaff(getenv(staffEnv(c.env...))); err != nil || !slices.Equal(got.OwnerEmails, c.want) {
			t.Errorf("%v: owners %v, %v; want %v", c.env, got.OwnerEmails, err, c.want)
		}
	}
	if _, err := LoadStaff(getenv(staffEnv("OWNER_EMAILS", "Owner <o@example.com>"))); err == nil || !strings.Contains(err.Error(), "OWNER_EMAILS:") {
		t.Errorf("got %v, want an error naming OWNER_EMAILS", err)
	}
	// STAFF_SESSION_MAX: never shorter than the sliding STAFF_SESSION_TTL,
	// never longer than 90 days.
	for _, v := range []string{"11h", "2161h", "soon"} {
		if _, err := LoadStaff(getenv(staffEnv("STAFF_SESSION_MAX", v))); err == nil || !strings.Contains(err.Error(), "STAFF_SESSION_MAX:") {
			t.Errorf("STAFF_SESSION_MAX=%s: got %v, want an error naming it", v, err)
		}
	}
	if got, err := LoadStaff(getenv(staffEnv("STAFF_SESSION_MAX", "12h"))); err != nil || got.SessionMax != 12*time.Hour {
		t.Errorf("STAFF_SESSION_MAX as long as STAFF_SESSION_TTL: %v, %v", got.SessionMax, err)
	}
	// Call-backs fall in OPENING_HOURS, in TIME_ZONE: open on Wednesdays
	// only, the next open minute after a Thursday noon is Wednesday's opening.
	got, err = LoadStaff(getenv(staffEnv("TIME_ZONE", "America/New_York", "OPENING_HOURS", "Wed 10:00-14:00")))
	thursday := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	if want := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC); err != nil || !got.Policy.Hours.NextOpen(thursday).Equal(want) {
		t.Errorf("policy hours: next open %v, %v; want %v", got.Policy.Hours.NextOpen(thursday), err, want)
	}
	_, err = LoadStaff(getenv(staffEnv("CALLBACK_CADENCE", "soon", "MAX_ATTEMPTS", "0", "STAFF_EMAILS", "Desk <desk@example-clinic.com>",
		"STAFF_SESSION_TTL", "0s", "STAFF_SIGNIN", "sometimes", "AUDIT_RETENTION_DAYS", "-1")))
	for _, name := range []string{"CALLBACK_CADENCE", "MAX_ATTEMPTS", "STAFF_EMAILS", "STAFF_SESSION_TTL", "STAFF_SIGNIN", "AUDIT_RETENTION_DAYS"} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("got %v, want an error naming %s", err, name)
		}
	}

	// OPENING_HOURS times the first attempt and reach: unset, the default
	// weekday hours (a Saturday night's hour counts nothing); "always",
	// every minute.
	sat := time.Date(2026, 11, 28, 22, 0, 0, 0, time.UTC)
	for hours, want := range map[string]time.Duration{"": 0, "always": time.Hour, "Sat 20:00-24:00": time.Hour} {
		got, err := LoadStaff(getenv(staffEnv("OPENING_HOURS", hours, "METRIC_NAMESPACE", "clinic/staff")))
		if err != nil || got.Hours.Between(sat, sat.Add(time.Hour)) != want || got.MetricNamespace != "clinic/staff" {
			t.Errorf("OPENING_HOURS=%q: %v counted, namespace %q, %v; want %v", hours, got.Hours.Between(sat, sat.Add(time.Hour)), got.MetricNamespace, err, want)
		}
	}
	if _, err := LoadStaff(getenv(staffEnv("OPENING_HOURS", "weekdays"))); err == nil || !strings.Contains(err.Error(), "OPENING_HOURS:") {
		t.Errorf("got %v, want an error naming OPENING_HOURS", err)
	}
}

func TestClinicEmailMustNameAnAddress(t *testing.T) {
	_, err := LoadNotify(getenv(map[string]string{"CLINIC_EMAIL": " , "}))
	if err == nil || !strings.Contains(err.Error(), "CLINIC_EMAIL: names no address") {
		t.Errorf("got %v, want CLINIC_EMAIL: names no address", err)
	}
}

func TestMailFrom(t *testing.T) {
	m := Mail{ClinicName: "Relief Physical Therapy & Pain Care", SenderEmail: "alerts@example-clinic.com"}
	from := m.From()
	if got, want := from.String(), `"Relief Physical Therapy & Pain Care" <alerts@example-clinic.com>`; got != want {
		t.Errorf("From() = %s, want %s", got, want)
	}
}

// TestThankYouURLRefusesRedirectPayloads: THANK_YOU_URL is where every plain
// form post is sent; a value a browser would read as another site or as
// script fails the cold start.
func TestThankYouURLRefusesRedirectPayloads(t *testing.T) {
	for _, v := range []string{
		"//evil.example", "//evil.example/thanks", "https:evil.example", "https:/evil.example", `\\evil.example`, `/\evil.example`,
		"javascript:alert(1)", "JAVASCRIPT:alert(1)", "javascript://example-clinic.com/%0aalert(1)", "data:text/html,hi",
		"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", `http:\\evil.example`, "evil.example", "/thanks", "ftp://example-clinic.com/",
	} {
		env := map[string]string{"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": "https://www.example-clinic.com", "RATE_LIMIT": "0", "THANK_YOU_URL": v}
		if _, err := LoadSubmit(getenv(env)); err == nil || !strings.Contains(err.Error(), "THANK_YOU_URL") {
			t.Errorf("THANK_YOU_URL=%q: %v, want an error naming it", v, err)
		}
	}
}

func TestLoadGuard(t *testing.T) {
	base := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/New_York",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	got, err := LoadNotify(getenv(base))
	if err != nil {
		t.Fatal(err)
	}
	// Defaults: no schedules without a target, Mon-Fri 08:00-18:00 in TIME_ZONE.
	tuesdayNight := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC) // 22:00 in New York
	if got.Guard.TargetARN != "" || got.Guard.SLA != 15*time.Minute ||
		!got.Guard.Hours.Due(tuesdayNight, got.Guard.SLA).Equal(time.Date(2026, 11, 25, 13, 15, 0, 0, time.UTC)) {
		t.Errorf("defaults: %+v", got.Guard)
	}
	base["NUDGE_TARGET_ARN"] = "arn:aws:lambda:us-east-1:123456789012:function:followup"
	if _, err := LoadNotify(getenv(base)); err == nil || !strings.Contains(err.Error(), "NUDGE_ROLE_ARN:") {
		t.Errorf("target without role: %v", err)
	}
	base["NUDGE_ROLE_ARN"], base["RESPONSE_SLA"], base["OPENING_HOURS"] = "arn:aws:iam::123456789012:role/r", "30m", "always"
	if got, err = LoadNotify(getenv(base)); err != nil || got.Guard.SLA != 30*time.Minute ||
		!got.Guard.Hours.Due(tuesdayNight, got.Guard.SLA).Equal(tuesdayNight.Add(30*time.Minute)) {
		t.Errorf("set: %+v, %v", got.Guard, err)
	}
	base["RESPONSE_SLA"], base["OPENING_HOURS"] = "0s", "Mon-Fri 9-5"
	_, err = LoadNotify(getenv(base))
	for _, name := range []string{"RESPONSE_SLA:", "OPENING_HOURS:"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s %v", name, err)
		}
	}
}

func TestStaffSMS(t *testing.T) {
	base := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "Europe/London",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for _, tc := range []struct {
		name, v string
		want    []string
		bad     bool
	}{
		{name: "unset"},
		{name: "two", v: "+12025550143, +442079460958", want: []string{"+12025550143", "+442079460958"}},
		{name: "national", v: "(202) 555-0143", bad: true},
		{name: "no plus", v: "12025550143", bad: true},
	} {
		base["STAFF_SMS"] = tc.v
		n, nerr := LoadNotify(getenv(base))
		f, ferr := LoadFollowUp(getenv(base))
		for fn, got := range map[string]struct {
			to  []string
			err error
		}{"notify": {n.StaffSMS, nerr}, "followup": {f.StaffSMS, ferr}} {
			if tc.bad {
				if got.err == nil || !strings.Contains(got.err.Error(), "STAFF_SMS:") || strings.Contains(got.err.Error(), tc.v) {
					t.Errorf("%s %s: error %v, want one naming STAFF_SMS and not the number", tc.name, fn, got.err)
				}
				continue
			}
			if got.err != nil || !slices.Equal(got.to, tc.want) {
				t.Errorf("%s %s: %v, %v; want %v", tc.name, fn, got.to, got.err, tc.want)
			}
		}
	}
}

// TestMailEventsNeedsMoreOnlyWithStaffSMS: texting a bounced alert names the
// clinic and signs a link; without numbers the table is all it reads.
func TestMailEventsNeedsMoreOnlyWithStaffSMS(t *testing.T) {
	if _, err := LoadMailEvents(getenv(map[string]string{"LEADS_TABLE": "leads"})); err != nil {
		t.Errorf("without STAFF_SMS: %v", err)
	}
	_, err := LoadMailEvents(getenv(map[string]string{"LEADS_TABLE": "leads", "STAFF_SMS": "+12025550199"}))
	for _, name := range []string{"CLINIC_NAME", "PUBLIC_BASE_URL"} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("with STAFF_SMS, error does not name %s: %v", name, err)
		}
	}
	got, err := LoadMailEvents(getenv(map[string]string{"LEADS_TABLE": "leads", "STAFF_SMS": "+12025550199",
		"CLINIC_NAME": "Relief", "PUBLIC_BASE_URL": "https://api.example-clinic.com/"}))
	if err != nil || got.PublicBaseURL != "https://api.example-clinic.com" || got.LinkTTL != DefaultLinkTTL || len(got.StaffSMS) != 1 {
		t.Errorf("with STAFF_SMS: %+v, %v", got, err)
	}
}

// TestSMSOriginAndNudgeGroup: STAFF_SMS_ORIGINATION is an origination
// identity's ARN, NUDGE_GROUP a schedule group's name (notify's and
// staff's alike); anything else fails the cold start naming the variable.
func TestSMSOriginAndNudgeGroup(t *testing.T) {
	base := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/New_York",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": strings.Repeat("k", 32),
		"STAFF_SMS":             "+12025550143",
		"STAFF_SMS_ORIGINATION": "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-0a1b2c3d4e5f",
		"NUDGE_GROUP":           "appointment-leads-nudges",
	}
	n, err := LoadNotify(getenv(base))
	if err != nil || n.SMSOrigin != base["STAFF_SMS_ORIGINATION"] || n.Guard.Group != "appointment-leads-nudges" {
		t.Errorf("notify: %q %q %v", n.SMSOrigin, n.Guard.Group, err)
	}
	f, err := LoadFollowUp(getenv(base))
	if err != nil || f.SMSOrigin != base["STAFF_SMS_ORIGINATION"] {
		t.Errorf("followup: %q %v", f.SMSOrigin, err)
	}
	m, err := LoadMailEvents(getenv(base))
	if err != nil || m.SMSOrigin != base["STAFF_SMS_ORIGINATION"] {
		t.Errorf("mailevents: %q %v", m.SMSOrigin, err)
	}
	s, err := LoadStaff(getenv(base))
	if err != nil || s.NudgeGroup != "appointment-leads-nudges" {
		t.Errorf("staff: %q %v", s.NudgeGroup, err)
	}
	for name, bad := range map[string]string{
		"STAFF_SMS_ORIGINATION": "+12025550100", // a number, not an ARN the policy can name
		"NUDGE_GROUP":           "default/../other",
	} {
		env := maps.Clone(base)
		env[name] = bad
		if _, err := LoadNotify(getenv(env)); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s=%q: %v, want an error naming it", name, bad, err)
		}
	}
	env := maps.Clone(base)
	env["NUDGE_GROUP"] = strings.Repeat("g", 65)
	if _, err := LoadStaff(getenv(env)); err == nil || !strings.Contains(err.Error(), "NUDGE_GROUP:") {
		t.Errorf("a 65-character group: %v", err)
	}
}

// TestAlertLimit: ALERT_LIMIT is RATE_LIMIT's form; 0 turns the budget off.
func TestAlertLimit(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief", "CLINIC_EMAIL": "fd@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago", "PUBLIC_BASE_URL": "https://api.example-clinic.com",
	}
	for v, want := range map[string]ratelimit.Limit{"": {Count: 100, Window: time.Hour}, "3/1h": {Count: 3, Window: time.Hour}, "0": {}} {
		env["ALERT_LIMIT"] = v
		got, err := LoadNotify(getenv(env))
		if err != nil || got.AlertLimit != want {
			t.Errorf("ALERT_LIMIT=%q: %+v, %v; want %+v", v, got.AlertLimit, err, want)
		}
	}
}

// TestEdge: EDGE_ORIGIN_SECRET, when set, admits only requests carrying it
// in X-Origin-Verify; unset, every request, as before the edge.
func TestEdge(t *testing.T) {
	secret := strings.Repeat("a1", 16)
	env := map[string]string{"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": "https://www.example-clinic.com", "RATE_LIMIT": "0"}
	c, err := LoadSubmit(getenv(env))
	if err != nil || !c.Edge.Allows(nil) {
		t.Errorf("no EDGE_ORIGIN_SECRET: %+v, %v; want every request allowed", c.Edge, err)
	}
	env["EDGE_ORIGIN_SECRET"] = secret
	if c, err = LoadSubmit(getenv(env)); err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]bool{secret: true, "": false, secret[:31]: false, secret + "x": false} {
		if got := c.Edge.Allows(map[string]string{EdgeHeader: h}); got != want {
			t.Errorf("header %q: allowed %v, want %v", h, got, want)
		}
	}
	env["EDGE_ORIGIN_SECRET"] = "short"
	if _, err := LoadSubmit(getenv(env)); err == nil || !strings.Contains(err.Error(), "EDGE_ORIGIN_SECRET:") {
		t.Errorf("a short secret: %v, want an error naming EDGE_ORIGIN_SECRET", err)
	}
}
