package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wallClockMark is the comment that says why a test reads the wall clock.
const wallClockMark = "wall clock:"

// wallClockReads lists, as "file:line: time.Now()", every call of
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
			found = append(found, name+":"+strconv.Itoa(line)+": time."+fn+"()")
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
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Tools' folders (.venv, .tools, node_modules) and the
			// fixtures of tests such as this one's.
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		got, err := wallClockReads(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		files++
		found = append(found, got...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read %d test files under %s: is the walk seeing the tree?", files, root)
	}
	for _, f := range found {
		t.Errorf("%s reads the wall clock without a reason: compare against the clock the code under test was given, or say why on the line or the line above (// %s ...)", f, wallClockMark)
	}
}

func TestWallClockReads(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		want []string
	}{
		{"a bare call", `package p
import "time"
func f() { _ = time.Now() }`, []string{"a.go:3: time.Now()"}},
		{"Since and Until", `package p
import "time"
var a = time.Since(time.Time{})
var b = time.Until(time.Time{})`, []string{"a.go:3: time.Since()", "a.go:4: time.Until()"}},
		{"a reason on the line", `package p
import "time"
var a = time.Now() // wall clock: a polling deadline`, nil},
		{"a reason on the line above", `package p
import "time"
// wall clock: the binary under the emulator runs on the real clock
var a = time.Now()`, nil},
		{"a reason two lines above", `package p
import "time"
// wall clock: too far away
// another comment
var a = time.Now()`, []string{"a.go:5: time.Now()"}},
		{"the mark without a reason", `package p
import "time"
var a = time.Now() // wall clock:`, []string{"a.go:3: time.Now()"}},
		{"another comment", `package p
import "time"
var a = time.Now() // the clock`, []string{"a.go:3: time.Now()"}},
		{"time imported by another name", `package p
import clock "time"
var a = clock.Now()`, []string{"a.go:3: time.Now()"}},
		{"time dot-imported", `package p
import . "time"
var a = Now()`, []string{"a.go:3: time.Now()"}},
		{"the clock handed over, not read", `package p
import "time"
var now = time.Now
var at = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)`, nil},
		{"another package's Now", `package p
import "example.com/clock"
var a = clock.Now()`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wallClockReads("a.go", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
