package layout

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// A role is what a package is for, read from its path: internal/'s top is
// the domain, and each folder under internal/ is named for its role.
type role string

const (
	domain  role = "domain"        // internal/<name>: the rules, no I/O
	adapter role = "adapter"       // internal/adapter/...: one AWS or outside service each
	render  role = "render"        // internal/render/...: words, emails and pages' pieces
	fn      role = "function"      // internal/fn/...: each function's handler and wiring
	entry   role = "function main" // functions/...: the Lambdas' mains
	dev     role = "dev and test"  // internal/dev/...: the local runner, tools, test support
	tool    role = "tool main"     // cmd/...: mains run on a person's machine
)

// roleOf is the role of the package at rel, a path relative to the module
// ("internal/lead", "functions/submit").
func roleOf(rel string) role {
	for prefix, r := range map[string]role{
		"internal/adapter/": adapter, "internal/render/": render, "internal/fn/": fn,
		"internal/dev/": dev, "functions/": entry, "cmd/": tool,
	} {
		if strings.HasPrefix(rel+"/", prefix) {
			return r
		}
	}
	if strings.HasPrefix(rel, "internal/") {
		return domain
	}
	return tool
}

// mayImport is, for each role, the roles of the module it may import
// (outside packages are always allowed: the layering is the module's own).
// Production code (every role but dev and tool) never imports the dev
// folder; the domain imports only the domain; an adapter only the domain;
// rendering only the domain and rendering.
var mayImport = map[role][]role{
	domain:  {domain},
	adapter: {domain},
	render:  {domain, render},
	fn:      {domain, adapter, render, fn},
	entry:   {domain, adapter, render, fn},
	dev:     {domain, adapter, render, fn, dev},
	tool:    {domain, adapter, render, fn, dev},
}

// violations lists each import that runs against the layering, naming both
// packages, for a graph of non-test imports by package (whole import
// paths); imports from outside the module are not its concern.
func violations(module string, imports map[string][]string) []string {
	var out []string
	for _, from := range slices.Sorted(maps.Keys(imports)) {
		fr, _ := strings.CutPrefix(from, module+"/")
		fromRole := roleOf(fr)
		for _, to := range imports[from] {
			tr, inModule := strings.CutPrefix(to, module+"/")
			if !inModule {
				continue // the standard library and dependencies: the layering is the module's own
			}
			if toRole := roleOf(tr); !slices.Contains(mayImport[fromRole], toRole) {
				out = append(out, fmt.Sprintf("%s (%s) imports %s (%s)", fr, fromRole, tr, toRole))
			}
		}
	}
	return out
}

// moduleImports is the module's package graph as go list gives it: each
// package's imports, test files' left out (a test may use internal/dev).
func moduleImports(t *testing.T) (string, map[string][]string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.Module.Path}} {{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = testenv.Root(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var module string
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		module = f[0]
		imports[f[1]] = f[2:]
	}
	return module, imports
}

// TestLayering: the domain imports no adapter, rendering or function
// package; an adapter imports only the domain; rendering no adapter or
// function package; and no production code imports the dev
// folder. A failure names the importing package and the imported one.
func TestLayering(t *testing.T) {
	module, imports := moduleImports(t)
	counts := map[role]int{}
	for p := range imports {
		r, _ := strings.CutPrefix(p, module+"/")
		counts[roleOf(r)]++
	}
	for _, r := range []role{domain, adapter, render, fn, entry, dev, tool} {
		if counts[r] == 0 {
			t.Errorf("no %s package found: is go list seeing the tree? %v", r, counts)
		}
	}
	for _, v := range violations(module, imports) {
		t.Error(v)
	}
}

// TestViolations: the check itself, on made-up graphs, including the one
// the acceptance asks to see: a domain package made to import an adapter.
func TestViolations(t *testing.T) {
	const m = "example.com/clinic"
	for _, tc := range []struct {
		name    string
		imports map[string][]string
		want    []string
	}{{
		name:    "a domain package made to import an adapter",
		imports: map[string][]string{m + "/internal/lead": {"time", m + "/internal/adapter/ddb"}},
		want:    []string{"internal/lead (domain) imports internal/adapter/ddb (adapter)"},
	}, {
		name:    "the domain importing rendering or a function",
		imports: map[string][]string{m + "/internal/figures": {m + "/internal/render/emails", m + "/internal/fn/followup", m + "/internal/hours"}},
		want: []string{
			"internal/figures (domain) imports internal/render/emails (render)",
			"internal/figures (domain) imports internal/fn/followup (function)",
		},
	}, {
		name:    "an adapter importing rendering (sms -> emails, as 1.0.1 did)",
		imports: map[string][]string{m + "/internal/adapter/sms": {m + "/internal/render/emails", m + "/internal/lead"}},
		want:    []string{"internal/adapter/sms (adapter) imports internal/render/emails (render)"},
	}, {
		name:    "an adapter importing another adapter",
		imports: map[string][]string{m + "/internal/adapter/sms": {m + "/internal/adapter/secrets"}},
		want:    []string{"internal/adapter/sms (adapter) imports internal/adapter/secrets (adapter)"},
	}, {
		name:    "an adapter importing a function",
		imports: map[string][]string{m + "/internal/adapter/ddb": {m + "/internal/fn/submit"}},
		want:    []string{"internal/adapter/ddb (adapter) imports internal/fn/submit (function)"},
	}, {
		name:    "rendering importing an adapter",
		imports: map[string][]string{m + "/internal/render/texts": {m + "/internal/adapter/sms"}},
		want:    []string{"internal/render/texts (render) imports internal/adapter/sms (adapter)"},
	}, {
		name: "production code importing the dev folder",
		imports: map[string][]string{
			m + "/internal/fn/staff": {m + "/internal/dev/storetest"},
			m + "/functions/submit":  {m + "/internal/dev/testenv"},
			m + "/internal/lead":     {m + "/internal/dev/testenv"},
		},
		want: []string{
			"functions/submit (function main) imports internal/dev/testenv (dev and test)",
			"internal/fn/staff (function) imports internal/dev/storetest (dev and test)",
			"internal/lead (domain) imports internal/dev/testenv (dev and test)",
		},
	}, {
		name: "what is allowed",
		imports: map[string][]string{
			m + "/internal/lead":         {"time", "github.com/nyaruka/phonenumbers", m + "/internal/phone"},
			m + "/internal/adapter/ddb":  {m + "/internal/lead", m + "/internal/access", "github.com/aws/aws-sdk-go-v2/service/dynamodb"},
			m + "/internal/render/texts": {m + "/internal/render/emails"},
			m + "/internal/fn/notify":    {m + "/internal/adapter/ddb", m + "/internal/render/emails", m + "/internal/fn/coldstart"},
			m + "/functions/notify":      {m + "/internal/fn/notify"},
			m + "/internal/dev/local":    {m + "/internal/fn/staff", m + "/internal/dev/outbox"},
			m + "/cmd/dev":               {m + "/internal/dev/local"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, violations(m, tc.imports)); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}
