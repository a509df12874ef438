package samtemplate_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// keptTable reads docs/deploy.md's "What is kept, for how long": each row's
// first cell (what) to its second (kept) and third (set by).
func keptTable(t *testing.T) map[string][2]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testenv.Root(t), "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(src), "\n## What is kept, for how long\n")
	if !ok {
		t.Fatal(`docs/deploy.md has no "What is kept, for how long" section`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	rows := map[string][2]string{}
	for _, line := range strings.Split(sec, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 || cells[0] == "what" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		what, _, _ := strings.Cut(cells[0], " (")
		rows[what] = [2]string{cells[1], cells[2]}
	}
	return rows
}

// TestRetentionTableIsTheDefaults: the table ops read to answer "how long
// do you keep my data" says what a stack deployed with the template's
// defaults keeps, and each default is the code's own: the template's
// parameter default, what the functions read from the environment the
// template gives them, and what the code falls back to unset.
func TestRetentionTableIsTheDefaults(t *testing.T) {
	rows := keptTable(t)
	for _, what := range []string{"leads", "held requests", "audit trail", "staff sessions", "contact hashes", "logs", "metrics"} {
		if _, ok := rows[what]; !ok {
			t.Errorf("the retention table has no row for %s (rows: %v)", what, rows)
		}
	}
	params := raw(t)["Parameters"].(map[string]any)
	paramDefault := func(name string) string {
		p, _ := params[name].(map[string]any)
		if p == nil {
			t.Fatalf("template.yaml has no parameter %s", name)
		}
		switch v := p["Default"].(type) {
		case string:
			return v
		case int:
			return strconv.Itoa(v)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		t.Fatalf("parameter %s: default %v of type %T", name, p["Default"], p["Default"])
		return ""
	}
	// The number the row's "kept" cell starts with (or holds after "at
	// most"), and the parameters it names.
	first := regexp.MustCompile(`\d+`)
	days := func(d time.Duration) string { return strconv.Itoa(int(d / (24 * time.Hour))) }
	hours := func(d time.Duration) string { return strconv.Itoa(int(d / time.Hour)) }
	check := func(what, param, want, unit string) {
		t.Helper()
		row := rows[what]
		if !strings.Contains(row[1], "`"+param+"`") {
			t.Errorf("%s: set by %q, want it to name %s", what, row[1], param)
		}
		if got := paramDefault(param); got != want {
			t.Errorf("%s: template.yaml's %s defaults to %s, the code to %s", what, param, got, want)
		}
		if got := first.FindString(row[0]); got != want || !strings.Contains(row[0], want+" "+unit) {
			t.Errorf("%s: the table says %q, want %s %s (the default)", what, row[0], want, unit)
		}
	}

	// The staff function's environment in the template, the retention
	// variables left unset: what the code falls back to.
	env := envOf(t, functions(t)["StaffFunction"], "arn:aws:secretsmanager:us-east-1:123456789012:secret:link")
	staff, err := config.LoadStaff(func(k string) string {
		if k == "RETENTION_DAYS" || k == "AUDIT_RETENTION_DAYS" {
			return ""
		}
		return env(k)
	})
	if err != nil {
		t.Fatalf("staff's configuration: %v", err)
	}
	check("leads", "RetentionDays", days(staff.Retention), "days")
	check("held requests", "HeldRetentionDays", days(lead.DefaultHeldRetention), "days")
	check("audit trail", "AuditRetentionDays", days(staff.AuditRetention), "days")
	if row := rows["staff sessions"]; !strings.Contains(row[0], hours(config.DefaultSessionMax)+" hours at most") || !strings.Contains(row[1], "`StaffSessionMax`") {
		t.Errorf("staff sessions: the table says %q set by %q, want %v at most, StaffSessionMax", row[0], row[1], config.DefaultSessionMax)
	}
	if p := paramDefault("StaffSessionTtl"); p != hours(config.DefaultSessionTTL)+"h" || !strings.Contains(rows["staff sessions"][0], hours(config.DefaultSessionTTL)+" hours idle") {
		t.Errorf("staff sessions: idle time in the table %q, template %s, code %v", rows["staff sessions"][0], p, config.DefaultSessionTTL)
	}
	if p := paramDefault("StaffSessionMax"); p != hours(config.DefaultSessionMax)+"h" {
		t.Errorf("StaffSessionMax defaults to %s, the code to %v", p, config.DefaultSessionMax)
	}
	// Contact hashes are index entries kept as long as their lead (so the
	// right of access finds every stored request) and compared for
	// PatientMemoryDays.
	contact := rows["contact hashes"]
	if !strings.Contains(contact[0], "as long as their lead") || !strings.Contains(contact[1], "`RetentionDays`") {
		t.Errorf("contact hashes: %q set by %q, want them kept as long as their lead (RetentionDays)", contact[0], contact[1])
	}
	check("contact hashes", "PatientMemoryDays", days(patient.DefaultMemory), "days")
	check("logs", "LogRetentionDays", paramDefault("LogRetentionDays"), "days")
	// Every function's log group and the API's access log keep what the
	// parameter says.
	for id, r := range raw(t)["Resources"].(map[string]any) {
		res, _ := r.(map[string]any)
		if res["Type"] != "AWS::Logs::LogGroup" {
			continue
		}
		ret, _ := res["Properties"].(map[string]any)["RetentionInDays"].(map[string]any)
		if ret["Ref"] != "LogRetentionDays" {
			t.Errorf("log group %s keeps its logs %v, not LogRetentionDays", id, res["Properties"].(map[string]any)["RetentionInDays"])
		}
	}
	// CloudWatch keeps a metric's data points 15 months, rolled up to
	// hourly after 63 days; no setting changes it:
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention
	if m := rows["metrics"]; !strings.Contains(m[0], "15 months") || m[1] != "AWS" {
		t.Errorf("metrics: %q set by %q, want 15 months, set by AWS", m[0], m[1])
	}
}
