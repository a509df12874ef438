package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// Build builds the command in pkg (a path under the repository, such as
// "./cmd/doctor") for this machine and returns the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	return build(t, pkg, path.Base(pkg), nil)
}

// build runs go build for pkg into a file name of a temporary folder, with
// env added to the environment.
func build(t testing.TB, pkg, name string, env []string, flags ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	cmd.Dir = Root(t)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// CleanEnv is an environment a new user's shell might have: PATH and a
// HOME of its own (no ~/.aws), no AWS_* variables, and Go's own folders
// kept, so go (and make, which runs it) still builds from the caches.
func CleanEnv(t testing.TB) []string {
	t.Helper()
	keep := []string{"GOPATH", "GOCACHE", "GOMODCACHE", "GOENV"}
	out, err := exec.Command("go", append([]string{"env"}, keep...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	if tmp, ok := os.LookupEnv("TMPDIR"); ok {
		env = append(env, "TMPDIR="+tmp)
	}
	for i, v := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		env = append(env, keep[i]+"="+v)
	}
	return env
}

// Run runs cmd and returns its output (stdout and stderr as they came) and
// exit code. A command that cannot start fails the test.
func Run(t testing.TB, cmd *exec.Cmd) (string, int) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil && !errors.As(err, new(*exec.ExitError)) {
		t.Fatalf("run %s: %v", cmd, err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}
