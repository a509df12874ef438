package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wallClockMark is the comment that says why a test reads the wall clock.
const wallClockMark = "wall clock:"

// wallClockReads lists, as "file:line: calls time.Now", every call of
// time.Now, time.Since or time.Until in src (a Go file named name) whose
// line, or the line above, carries no "wall clock: <reason>" comment.
func wallClockReads(name string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	pkg := ""
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "time" {
			pkg = "time"
			if imp.Name != nil {
				pkg = imp.Name.Name
			}
		}
	}
	if pkg == "" || pkg == "_" {
		return nil, nil
	}
	reasoned := map[int]bool{}
	for _, g := range f.Comments {
		for _, c := range g.List {
			if _, why, ok := strings.Cut(c.Text, wallClockMark); ok && strings.Trim(why, " */") != "" {
				reasoned[fset.Position(c.End()).Line] = true
			}
		}
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var fn string
		switch fun := call.Fun.(type) {
		case *ast.SelectorExpr:
			if x, ok := fun.X.(*ast.Ident); ok && x.Name == pkg {
				fn = fun.Sel.Name
			}
		case *ast.Ident: // import . "time"
			if pkg == "." {
				fn = fun.Name
			}
		}
		if fn != "Now" && fn != "Since" && fn != "Until" {
			return true
		}
		line := fset.Position(call.Pos()).Line
		if !reasoned[line] && !reasoned[line-1] {
			found = append(found, name+":"+strconv.Itoa(line)+": calls time."+fn)
		}
		return true
	})
	return found, nil
}

// TestNoTestReadsTheWallClockUnnoticed: a test that compares what the code
// stored through its own clock with today's date is green on the day it is
// written and red every day after (1.0.0's TestTrappedRequestsAreHeld).
// Tests compare against the clock the code under test was given; a test
// that must read the wall clock (a polling deadline, a measured duration,
// a binary or emulator that runs on the real clock) says why beside it.
func TestNoTestReadsTheWallClockUnnoticed(t *testing.T) {
	root := Root(t)
	var found []string
	files := GoFiles(t, root, "_test.go")
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		got, err := wallClockReads(filepath.ToSlash(rel), src)
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, got...)
	}
	if len(files) < 100 {
		t.Fatalf("read %d test files under %s: is the walk seeing the tree?", len(files), root)
	}
	for _, f := range found {
		t.Errorf("%s: it reads the wall clock without a reason: compare against the clock the code under test was given, or say why on the line or the line above (// %s ...)", f, wallClockMark)
	}
}

// TestWallClockReads: the check on the sources of testdata/wallclock (not
// compiled; fixtures of this test, so the tree's check passes them over).
func TestWallClockReads(t *testing.T) {
	for name, want := range map[string][]string{
		"bare":                {"bare.go:5: calls time.Now"},
		"since_until":         {"since_until.go:5: calls time.Since", "since_until.go:6: calls time.Until"},
		"reason_on_line":      nil,
		"reason_above":        nil,
		"reason_too_far":      {"reason_too_far.go:7: calls time.Now"},
		"mark_without_reason": {"mark_without_reason.go:5: calls time.Now"},
		"other_comment":       {"other_comment.go:5: calls time.Now"},
		"renamed_import":      {"renamed_import.go:5: calls time.Now"},
		"dot_import":          {"dot_import.go:5: calls time.Now"},
		"clock_handed_over":   nil, // time.Now given to code, not called
		"other_package":       nil,
	} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "wallclock", name+".go"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := wallClockReads(name+".go", src)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
