package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lambdaBuild builds pkg as make builds a Lambda bootstrap.
func lambdaBuild(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// TestDenyList: a bootstrap that links the SDK's config loader (and its
// STS and SSO clients) or text/template fails the check, naming the
// package; the functions and hello-world pass.
func TestDenyList(t *testing.T) {
	for _, tc := range []struct {
		pkg  string
		want []string // in the error; none: the check passes
	}{
		{"./cmd/hello", nil},
		{"./functions/staff", nil},
		{"./functions/submit", nil},
		{"./cmd/checkbuild/testdata/loader", []string{"github.com/aws/aws-sdk-go-v2/config ", "service/sts ", "service/sso "}},
		{"./cmd/checkbuild/testdata/tmpl", []string{"text/template ("}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			err := check(lambdaBuild(t, tc.pkg))
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("check passed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("check: %v; want it to name %q", err, w)
				}
			}
		})
	}
}
