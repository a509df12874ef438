package version_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/testenv"
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
