package version_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestBuiltFunctionsLogTheirVersion: a function built as sam build builds
// it (the Makefile's build-%Function rule, for this machine) logs the
// VERSION file's version once at cold start, before anything else.
func TestBuiltFunctionsLogTheirVersion(t *testing.T) {
	testenv.Needs(t, "make")
	root := testenv.Root(t)
	b, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(b))
	dir := t.TempDir()
	build := exec.Command("make", "--no-print-directory", "build-SubmitFunction", "ARTIFACTS_DIR="+dir, "LAMBDA_ENV=CGO_ENABLED=0")
	build.Dir = root
	if out, code := testenv.Run(t, build); code != 0 {
		t.Fatalf("make build-SubmitFunction: exit %d\n%s", code, out)
	}
	// No configuration: the cold start fails, after saying which release.
	run := exec.Command(filepath.Join(dir, "bootstrap"))
	run.Env = testenv.CleanEnv(t)
	out, code := testenv.Run(t, run)
	if code == 0 {
		t.Fatalf("an unconfigured function started:\n%s", out)
	}
	first, _, _ := strings.Cut(out, "\n")
	if !strings.Contains(first, `"msg":"cold start","version":"`+want+`"`) {
		t.Errorf("first log line %s, want the cold start with version %s\n%s", first, want, out)
	}
}

// TestMakeRelease: make release VERSION=x.y.z, in a clone, writes the
// version in its one place and the template's copies, turns the
// changelog's Unreleased section into the release's, commits and tags
// vx.y.z; a version that is not x.y.z changes nothing.
func TestMakeRelease(t *testing.T) {
	testenv.Needs(t, "make and git")
	root := testenv.Root(t)
	dir := filepath.Join(t.TempDir(), "clone")
	env := append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
	run := func(dir string, name string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		return testenv.Run(t, cmd)
	}
	if out, code := run(root, "git", "clone", "--quiet", root, dir); code != 0 {
		t.Fatalf("git clone: %s", out)
	}
	if out, code := run(dir, "make", "--no-print-directory", "release", "VERSION=1.2"); code == 0 || !strings.Contains(out, "x.y.z") {
		t.Errorf("make release VERSION=1.2: exit %d\n%s", code, out)
	}
	if out, code := run(dir, "make", "--no-print-directory", "release", "VERSION=9.8.7"); code != 0 {
		t.Fatalf("make release VERSION=9.8.7: exit %d\n%s", code, out)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if v := strings.TrimSpace(read("VERSION")); v != "9.8.7" {
		t.Errorf("VERSION %q", v)
	}
	tpl := read("template.yaml")
	if !strings.Contains(tpl, "    SemanticVersion: 9.8.7\n") || !strings.Contains(tpl, "\n  Version:\n") ||
		!strings.Contains(tpl[strings.Index(tpl, "\n  Version:\n"):], "    Value: 9.8.7\n") {
		t.Error("the template's copies were not updated")
	}
	if log := read("CHANGELOG.md"); !strings.Contains(log, "## [Unreleased]\n\n## [9.8.7] - ") {
		t.Errorf("the changelog's headings: %s", log[:min(len(log), 900)])
	}
	if out, _ := run(dir, "git", "status", "--porcelain"); out != "" {
		t.Errorf("left uncommitted: %s", out)
	}
	if out, code := run(dir, "git", "describe", "--exact-match", "HEAD"); code != 0 || strings.TrimSpace(out) != "v9.8.7" {
		t.Errorf("HEAD's tag: %q (exit %d)", out, code)
	}
}
