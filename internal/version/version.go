// Package version holds the release this binary was built from. The
// Makefile's build-%Function rule sets Version from the root VERSION file
// (-ldflags -X), the one place the version is written.
package version

// Version is the semantic version of the release ("dev" in a binary built
// without the Makefile, such as go run or go test).
var Version = "dev"
