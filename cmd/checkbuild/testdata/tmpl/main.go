// A Lambda-like main that renders with text/template: checkbuild must
// refuse it.
package main

import (
	"os"
	"text/template"
)

func main() { template.Must(template.New("").Parse("{{.}}")).Execute(os.Stdout, 1) }
