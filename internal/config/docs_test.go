package config_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestConfigurationDocMatchesTheCode: every environment variable the code
// reads is a row of docs/configuration.md (or, for the test harness's own,
// of docs/testing.md's), and every row is read somewhere, so the tables
// cannot drift from the code again.
func TestConfigurationDocMatchesTheCode(t *testing.T) {
	root := testenv.Root(t)
	read := envReadInCode(t, root)
	documented := envDocumented(t, filepath.Join(root, "docs", "configuration.md"))
	documented = append(documented, envDocumented(t, filepath.Join(root, "docs", "testing.md"))...)
	slices.Sort(documented)
	if len(read) < 25 {
		t.Fatalf("only %d variables found in the code (%v): is the scan seeing it?", len(read), read)
	}
	if diff := cmp.Diff(read, documented); diff != "" {
		t.Errorf("variables read in the code (-) vs the rows of docs/configuration.md and docs/testing.md (+):\n%s", diff)
	}
}

// envName is how an environment variable is spelled.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)

// osVariable are the system's own variables, passed on to tools rather than
// configuring anything of the project's.
var osVariable = map[string]bool{"PATH": true, "HOME": true, "TMPDIR": true}

// envReadInCode lists the variables Go code under root reads, sorted: the
// string literal passed to a getenv (os.Getenv, an injected getenv, an
// Options.Getenv), to testenv.Tool (its env argument), or to one of this
// package's env readers (e.text, e.required, ...). Test files count only
// for os.Getenv and os.LookupEnv; their other getenvs are fakes.
func envReadInCode(t *testing.T, root string) []string {
	t.Helper()
	found := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range testenv.GoFiles(t, root, ".go") {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		isTest := strings.HasSuffix(path, "_test.go")
		inConfig := filepath.Dir(path) == filepath.Join(root, "internal", "config")
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name, recv string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
				if x, ok := fn.X.(*ast.Ident); ok {
					recv = x.Name
				}
			}
			arg := -1
			switch {
			case isTest && recv == "os" && (name == "Getenv" || name == "LookupEnv"):
				arg = 0
			case isTest:
			case name == "Getenv" || name == "getenv" || name == "LookupEnv":
				arg = 0
			case name == "Tool" && recv == "": // testenv.Tool(t, what, env, rel), in testenv
				arg = 2
			case inConfig && recv == "e":
				arg = 0
			}
			if arg < 0 || arg >= len(call.Args) {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(v) && !osVariable[v] {
					found[v] = true
				}
			}
			return true
		})
	}
	return sortedKeys(found)
}

// envDocumented lists the names in the first column of every table of path
// whose header's first cell is "Variable", sorted. A row there must name
// exactly one variable, in backticks.
func envDocumented(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := map[string]bool{}
	inTable := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(text, "|") {
			inTable = false
			continue
		}
		first := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(text, "|"), "|", 2)[0])
		switch {
		case first == "Variable":
			inTable = true
		case !inTable || strings.Trim(first, "-: ") == "":
		default:
			name, ok := strings.CutPrefix(first, "`")
			name, ok2 := strings.CutSuffix(name, "`")
			if !ok || !ok2 || !envName.MatchString(name) {
				t.Errorf("%s:%d: a Variable row must start with one `NAME`, got %q", path, line, first)
				continue
			}
			if found[name] {
				t.Errorf("%s:%d: %s is documented twice", path, line, name)
			}
			found[name] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sortedKeys(found)
}

func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
