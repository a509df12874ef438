package samtemplate_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestConfigurationDocNamesWhoReads: every variable the template gives a
// function is a row of docs/configuration.md whose "read by" names that
// function (or "all"), so a variable passed to one more function cannot
// stay documented as another's alone.
func TestConfigurationDocNamesWhoReads(t *testing.T) {
	f, err := os.Open(filepath.Join(testenv.Root(t), "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	readBy := map[string]string{}
	row := regexp.MustCompile("^\\| `([A-Z][A-Z0-9_]+)` \\| ([^|]*) \\|")
	for sc := bufio.NewScanner(f); sc.Scan(); {
		// The functions' table comes first; a tool's row of the same
		// variable (make snippet's CLINIC_PHONE) comes later.
		if m := row.FindStringSubmatch(sc.Text()); m != nil && readBy[m[1]] == "" {
			readBy[m[1]] = m[2]
		}
	}
	short := map[string]string{"SubmitFunction": "submit", "NotifyFunction": "notify", "FollowUpFunction": "followup", "StaffFunction": "staff", "MailEventsFunction": "mailevents"}
	word := regexp.MustCompile(`[a-z]+`)
	for id, fn := range functions(t) {
		vars, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		for v := range vars {
			who, ok := readBy[v]
			if !ok {
				t.Errorf("%s: %s has no row in docs/configuration.md", id, v)
				continue
			}
			words := word.FindAllString(strings.ToLower(who), -1)
			found := false
			for _, w := range words {
				found = found || w == short[id] || w == "all"
			}
			if !found {
				t.Errorf("%s is passed to %s, but docs/configuration.md says it is read by %q", v, short[id], who)
			}
		}
	}
}
