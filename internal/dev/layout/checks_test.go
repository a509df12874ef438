package layout

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGitHubAnchors: headings as GitHub links them.
func TestGitHubAnchors(t *testing.T) {
	seen := map[string]int{}
	for heading, want := range map[string]string{
		"SES: verifying, the sandbox, SPF, DKIM, DMARC": "ses-verifying-the-sandbox-spf-dkim-dmarc",
		"Encryption under the clinic's own key":         "encryption-under-the-clinics-own-key",
		"GET /staff/signin, POST /staff/signin":         "get-staffsignin-post-staffsignin",
		"make unit: the quick loop":                     "make-unit-the-quick-loop",
		"The -short rule":                               "the--short-rule",
		"Café_au_lait 2":                                "café_au_lait-2",
	} {
		if got := githubAnchor(heading, seen); got != want {
			t.Errorf("%q: got #%s, want #%s", heading, got, want)
		}
	}
	if a, b := githubAnchor("Examples", seen), githubAnchor("Examples", seen); a != "examples" || b != "examples-1" {
		t.Errorf("a repeated heading: #%s, #%s; want #examples, #examples-1", a, b)
	}
}

// TestDocChecksCatch: each thing the docs test is for, broken on purpose.
func TestDocChecksCatch(t *testing.T) {
	files := map[string]string{
		"docs/ops.md": "# Ops\n\n- [Deploy](#deploy)\n- [Alarms](#alarms)\n\n## Deploy\n\nSee [the API](api.md#post-leads), [the form](form.md),\n" +
			"[alarms](#alarms), [gone](gone.md), [the README](../README.md#quickstart) and [the template](../template.yaml).\n\n" +
			"```\n[not a link](nowhere.md)\n```\n\n## Alarms\n\n## Logs\n\n![chart](img/chart.png)\n",
		"docs/api.md": "# API\n\n## POST /leads\n\nBack to [ops](ops.md#logs) and [the costs](ops.md#costs).\n",
		"README.md":   "# Leads\n\n## Quickstart\n",
	}
	exists := func(rel string) bool { _, ok := files[rel]; return ok || rel == "template.yaml" }
	read := func(rel string) (*doc, error) {
		src, ok := files[rel]
		if !ok {
			return nil, fmt.Errorf("no %s", rel)
		}
		return parseDoc(rel, []byte(src)), nil
	}
	ops, _ := read("docs/ops.md")
	api, _ := read("docs/api.md")
	got := slices.Concat(brokenLinks(ops, read, exists), brokenLinks(api, read, exists), tocGaps(ops), tocGaps(api))
	want := []string{
		"docs/ops.md:8: form.md: no such file in the repository",
		"docs/ops.md:9: gone.md: no such file in the repository",
		"docs/ops.md:19: img/chart.png: no such file in the repository",
		"docs/api.md:5: ops.md#costs: docs/ops.md has no heading with the anchor #costs",
		"docs/ops.md: the table of contents does not list the section #logs",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems found (-want +got):\n%s", diff)
	}

	t.Run("a table of contents out of order", func(t *testing.T) {
		d := parseDoc("x.md", []byte("# X\n\n- [B](#b)\n- [A](#a)\n\n## A\n\n## B\n"))
		if diff := cmp.Diff([]string{"x.md: the table of contents lists #b out of order"}, tocGaps(d)); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("a list of other links is no table of contents", func(t *testing.T) {
		d := parseDoc("x.md", []byte("# X\n\n- [the API](api.md)\n- [A](#a)\n\n## A\n\n## B\n"))
		if d.toc != nil || tocGaps(d) != nil {
			t.Errorf("toc %v, gaps %v", d.toc, tocGaps(d))
		}
	})
}

// TestLayoutChecksCatch: a package the Layout leaves out, and a path it
// names that does not exist.
func TestLayoutChecksCatch(t *testing.T) {
	d := parseDoc("docs/architecture.md", []byte("# A\n\n## Layout\n\n```\n"+
		"functions/submit/main.go   POST /leads\ninternal/lead     the rules\n"+
		"internal/audit    what an audit entry holds\n  (continued) text\n```\n\n## Other\n\n```\ninternal/ghost\n```\n"))
	tree := []string{"functions/submit", "internal/lead", "internal/adapter/sms"}
	exists := func(p string) bool { return slices.Contains(tree, p) || p == "functions/submit/main.go" }
	got := layoutProblems(d.layout, tree, exists)
	want := []string{
		"docs/architecture.md's Layout names internal/audit, which does not exist",
		"package internal/adapter/sms is not named in docs/architecture.md's Layout",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems found (-want +got):\n%s", diff)
	}
}
