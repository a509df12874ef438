// Package layout holds the tests that keep the repository's shape honest:
// the layering of internal/ (layers_test.go) and the docs against the tree
// (docs_test.go). It has no code of its own.
package layout
