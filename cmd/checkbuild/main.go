// Command checkbuild checks what sam build made: a bootstrap for every
// function of template.yaml, each a static linux/arm64 Go binary built with
// the Lambda tags and flags, linking no package of the deny-list. make test
// runs it after sam build.
package main

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/openclinic/leadhandler/internal/dev/gobin"
	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: checkbuild template.yaml build-dir")
		os.Exit(2)
	}
	tpl, err := samtemplate.Load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkbuild:", err)
		os.Exit(1)
	}
	var names []string
	for name := range tpl.GetAllServerlessFunctionResources() {
		names = append(names, name)
	}
	slices.Sort(names)
	failed := false
	for _, name := range names {
		path := filepath.Join(os.Args[2], name, "bootstrap")
		if err := check(path); err != nil {
			fmt.Printf("FAIL %s: %v\n", path, err)
			failed = true
			continue
		}
		info, _ := os.Stat(path)
		fmt.Printf("ok   %s: linux/arm64 Go bootstrap, %.1f MB\n", path, float64(info.Size())/1e6)
	}
	if failed || len(names) == 0 {
		os.Exit(1)
	}
}

func check(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Mode()&0o111 == 0 {
		return fmt.Errorf("not executable")
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not an ELF binary: %w", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 {
		return fmt.Errorf("built for %v %v, want ELFCLASS64 EM_AARCH64", f.Class, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("dynamically linked (CGO_ENABLED must be 0)")
		}
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("no Go build information: %w", err)
	}
	want := map[string]string{"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0", "-trimpath": "true", "-tags": "lambda.norpc"}
	for _, s := range bi.Settings {
		if w, ok := want[s.Key]; ok {
			if s.Key == "-tags" && strings.Contains(s.Value, w) || s.Value == w {
				delete(want, s.Key)
			}
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("build settings missing or wrong: %v", want)
	}
	pkgs, err := gobin.Packages(f)
	if err != nil {
		return err
	}
	var bad []string
	for _, d := range denied {
		if pkgs[d.pkg] {
			bad = append(bad, d.pkg+" ("+d.why+")")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("links %s", strings.Join(bad, "; "))
	}
	return nil
}

// denied are packages no Lambda binary may link: what they cost at every
// cold start is measured in docs/performance.md.
var denied = []struct{ pkg, why string }{
	{"github.com/aws/aws-sdk-go-v2/config", "the shared-config loader: coldstart.AWSConfig reads the Lambda environment"},
	{"github.com/aws/aws-sdk-go-v2/service/sts", "a client the config loader links"},
	{"github.com/aws/aws-sdk-go-v2/service/sso", "a client the config loader links"},
	{"github.com/aws/aws-sdk-go-v2/service/ssooidc", "a client the config loader links"},
	{"github.com/aws/aws-sdk-go-v2/service/signin", "a client the config loader links"},
	{"github.com/aws/aws-sdk-go-v2/feature/ec2/imds", "the instance metadata client the config loader links"},
	{"text/template", "its reflective method lookup switches the linker's dead-code elimination off: render with internal/render/markup"},
	{"html/template", "it links text/template: render with internal/render/markup"},
	{"net/rpc", "reflective method lookup; build with -tags lambda.norpc"},
}
