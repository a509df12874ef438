// Package upgrade holds what earlier releases stored in the leads table
// (testdata/<release>.json, every kind of item, in DynamoDB JSON), and the
// test that every function of this release still reads and acts on it: an
// upgrade never strands old data.
//
// gen.go wrote testdata/before-1.0.0.json once, with the storage code of
// the release before 1.0.0 (commit 32eb206), and is kept to write the next
// release's file the same way: go run ./internal/dev/upgrade/gen.go -out
// internal/dev/upgrade/testdata/<release>.json, at that release's commit.
// Never rewrite a file already committed: it is that release's record.
package upgrade
