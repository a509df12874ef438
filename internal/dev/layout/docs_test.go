package layout

import (
	"bufio"
	"cmp"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// doc is what the checks need of a Markdown file.
type doc struct {
	path     string   // relative to the repository
	anchors  []string // every heading's anchor, in order, as GitHub makes them
	sections []string // the anchors of the ## headings, in order
	toc      []string // the anchors the table of contents links to; nil: none
	links    []link   // every link and image, outside code
	// layout is the code blocks' lines of the section headed "Layout".
	layout []string
}

// link is a link's destination and the line it is on.
type link struct {
	dest string
	line int
}

var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// readDoc parses the Markdown file at rel under root.
func readDoc(root, rel string) (*doc, error) {
	src, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	return parseDoc(rel, src), nil
}

// parseDoc reads headings, links, the table of contents (a list before the
// first ## heading whose items are all links to #anchors) and the Layout
// section's code lines out of src.
func parseDoc(rel string, src []byte) *doc {
	d := &doc{path: rel}
	tree := markdown.Parse(text.NewReader(src))
	slugs := map[string]int{}
	inLayout, seenSection := false, false
	// lineOf is the line a link's text starts on (its block's first line
	// when it has no text).
	lineOf := func(n ast.Node) int {
		at := -1
		_ = ast.Walk(n, func(m ast.Node, entering bool) (ast.WalkStatus, error) {
			if t, ok := m.(*ast.Text); ok && entering {
				at = t.Segment.Start
				return ast.WalkStop, nil
			}
			return ast.WalkContinue, nil
		})
		for p := n; at < 0 && p != nil; p = p.Parent() {
			if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
				at = p.Lines().At(0).Start
			}
		}
		return 1 + strings.Count(string(src[:max(at, 0)]), "\n")
	}
	_ = ast.Walk(tree, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			anchor := githubAnchor(plain(n, src), slugs)
			d.anchors = append(d.anchors, anchor)
			if n.Level == 2 {
				d.sections = append(d.sections, anchor)
				seenSection = true
				inLayout = plain(n, src) == "Layout"
			}
		case *ast.List:
			if !seenSection && d.toc == nil {
				if toc, ok := tableOfContents(n); ok {
					d.toc = toc
				}
			}
		case *ast.Link:
			d.links = append(d.links, link{string(n.Destination), lineOf(n)})
		case *ast.Image:
			d.links = append(d.links, link{string(n.Destination), lineOf(n)})
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if inLayout {
				lines := n.Lines()
				for i := range lines.Len() {
					seg := lines.At(i)
					d.layout = append(d.layout, string(seg.Value(src)))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return d
}

// tableOfContents reports the anchors of a list whose every item is a link
// to an #anchor (nested lists count too).
func tableOfContents(list *ast.List) ([]string, bool) {
	var anchors []string
	ok := true
	_ = ast.Walk(list, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if item, is := n.(*ast.ListItem); is {
			var first *ast.Link
			_ = ast.Walk(item, func(m ast.Node, entering bool) (ast.WalkStatus, error) {
				if l, is := m.(*ast.Link); is && entering && first == nil {
					first = l
				}
				return ast.WalkContinue, nil
			})
			dest := ""
			if first != nil {
				dest = string(first.Destination)
			}
			if !strings.HasPrefix(dest, "#") {
				ok = false
				return ast.WalkStop, nil
			}
			anchors = append(anchors, strings.TrimPrefix(dest, "#"))
		}
		return ast.WalkContinue, nil
	})
	return anchors, ok && len(anchors) > 0
}

// plain is a node's text as a reader sees it: code spans' and links' text
// kept, the Markdown around them gone.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(m ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch m := m.(type) {
		case *ast.Text:
			b.Write(m.Segment.Value(src))
			if m.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(m.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// githubAnchor is the id GitHub gives a heading of this text, as its
// renderer does (github-slugger): lower-cased; letters, digits, "-" and "_"
// kept; each space a "-"; everything else dropped; the nth repeat of an
// anchor in the same file gets "-n". seen counts the anchors made so far.
func githubAnchor(heading string, seen map[string]int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.Is(unicode.Mn, r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	base := b.String()
	anchor := base
	if n := seen[base]; n > 0 {
		anchor = fmt.Sprintf("%s-%d", base, n)
	}
	seen[base]++
	return anchor
}

// docsChecked are the Markdown files whose links must resolve.
func docsChecked(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md", "CHANGELOG.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(more) == 0 {
		t.Fatalf("no docs/*.md under %s: %v", root, err)
	}
	for _, m := range more {
		files = append(files, filepath.Join("docs", filepath.Base(m)))
	}
	return files
}

// brokenLinks lists each relative link of d that names no file, or an
// anchor its Markdown target does not have. docs reads a target.
func brokenLinks(d *doc, read func(rel string) (*doc, error), exists func(rel string) bool) []string {
	var out []string
	for _, l := range d.links {
		u, err := url.Parse(l.dest)
		if err != nil {
			out = append(out, fmt.Sprintf("%s:%d: %q is not a URL: %v", d.path, l.line, l.dest, err))
			continue
		}
		if u.Scheme != "" || u.Host != "" || l.dest == "" {
			continue // absolute: not this check's
		}
		target := d
		rel := d.path
		if u.Path != "" {
			rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(d.path), u.Path)))
			if strings.HasPrefix(rel, "../") || !exists(rel) {
				out = append(out, fmt.Sprintf("%s:%d: %s: no such file in the repository", d.path, l.line, l.dest))
				continue
			}
			target = nil
			if strings.HasSuffix(rel, ".md") {
				if target, err = read(rel); err != nil {
					out = append(out, fmt.Sprintf("%s:%d: %s: %v", d.path, l.line, l.dest, err))
					continue
				}
			}
		}
		if u.Fragment == "" || target == nil {
			continue // a fragment into a file other than Markdown (#L10) is the host's
		}
		if !slices.Contains(target.anchors, u.Fragment) {
			out = append(out, fmt.Sprintf("%s:%d: %s: %s has no heading with the anchor #%s", d.path, l.line, l.dest, rel, u.Fragment))
		}
	}
	return out
}

// tocGaps lists the ## sections a table of contents leaves out, and the
// entries that are out of the sections' order.
func tocGaps(d *doc) []string {
	if d.toc == nil {
		return nil
	}
	var out []string
	at := -1
	for _, s := range d.sections {
		i := slices.Index(d.toc, s)
		switch {
		case i < 0:
			out = append(out, fmt.Sprintf("%s: the table of contents does not list the section #%s", d.path, s))
		case i < at:
			out = append(out, fmt.Sprintf("%s: the table of contents lists #%s out of order", d.path, s))
		default:
			at = i
		}
	}
	return out
}

// TestDocLinks: every relative link and #anchor in README.md, CHANGELOG.md
// and docs/*.md resolves, and a doc's table of contents, where it has one,
// lists every ## section in order.
func TestDocLinks(t *testing.T) {
	root := testenv.Root(t)
	cache := map[string]*doc{}
	read := func(rel string) (*doc, error) {
		if d, ok := cache[rel]; ok {
			return d, nil
		}
		d, err := readDoc(root, rel)
		if err == nil {
			cache[rel] = d
		}
		return d, err
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(root, rel))
		return err == nil
	}
	links := 0
	for _, rel := range docsChecked(t, root) {
		d, err := read(rel)
		if err != nil {
			t.Fatal(err)
		}
		links += len(d.links)
		for _, e := range brokenLinks(d, read, exists) {
			t.Error(e)
		}
		for _, e := range tocGaps(d) {
			t.Error(e)
		}
	}
	if links < 50 {
		t.Fatalf("only %d links found in the docs: is the parser seeing them?", links)
	}
}

// TestArchitectureLayout: docs/architecture.md's Layout section names
// every package of the tree, and names no path that does not exist.
func TestArchitectureLayout(t *testing.T) {
	root := testenv.Root(t)
	d, err := readDoc(root, filepath.Join("docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	module, imports := moduleImports(t)
	var packages []string
	for p := range imports {
		if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			packages = append(packages, rel)
		}
	}
	problems := layoutProblems(d.layout, packages, func(p string) bool {
		_, err := os.Stat(filepath.Join(root, p))
		return err == nil
	})
	for _, e := range problems {
		t.Error(e)
	}
}

// layoutProblems lists each path the Layout lines name that does not
// exist, and each package they do not name.
func layoutProblems(lines, packages []string, exists func(string) bool) []string {
	named := layoutPaths(lines)
	if len(named) < len(packages)/2 {
		return []string{fmt.Sprintf("only %d paths in architecture.md's Layout section, for %d packages: %v", len(named), len(packages), named)}
	}
	var out []string
	for _, p := range named {
		if !exists(p) {
			out = append(out, fmt.Sprintf("docs/architecture.md's Layout names %s, which does not exist", p))
		}
	}
	for _, p := range unnamed(packages, named) {
		out = append(out, fmt.Sprintf("package %s is not named in docs/architecture.md's Layout", p))
	}
	return out
}

// layoutPaths is the path each layout line starts with (its first field),
// for lines naming something in the repository's Go tree or infra; a file
// of a package names the package too.
func layoutPaths(lines []string) []string {
	var out []string
	for _, line := range lines {
		sc := bufio.NewScanner(strings.NewReader(line))
		sc.Split(bufio.ScanWords)
		if !sc.Scan() {
			continue
		}
		f := strings.TrimRight(sc.Text(), ",:")
		for _, top := range []string{"internal/", "functions/", "cmd/", "infra/", "docs/", ".ci/"} {
			if strings.HasPrefix(f, top) {
				out = append(out, strings.TrimSuffix(f, "/"))
			}
		}
	}
	return out
}

// unnamed lists the packages no named path is, or holds as a file.
func unnamed(packages, named []string) []string {
	var out []string
	for _, p := range slices.Sorted(slices.Values(packages)) {
		if !slices.ContainsFunc(named, func(n string) bool { return n == p || filepath.Dir(n) == p && filepath.Ext(n) == ".go" }) {
			out = append(out, p)
		}
	}
	return out
}

// functionCount finds a count of all the functions in prose: "the four
// functions", "Five Lambda functions". ("Three functions publish ..." or
// "all three functions" with a variable count some of them, and are left
// alone.)
var functionCount = regexp.MustCompile(`(?i)\b(?:the (one|two|three|four|five|six|seven|eight|nine|ten|\d+) (?:lambda )?functions|(one|two|three|four|five|six|seven|eight|nine|ten|\d+) lambda functions)\b`)

// countIn reads a count functionCount found.
func countIn(m []string) int {
	words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	w := strings.ToLower(cmp.Or(m[1], m[2]))
	if i := slices.Index(words, w); i >= 0 {
		return i
	}
	n, _ := strconv.Atoi(w)
	return n
}

// TestFunctionCountsFollowTheTemplate: a doc that says how many functions
// there are says as many as template.yaml deploys (1.0.0's docs said four
// of five).
func TestFunctionCountsFollowTheTemplate(t *testing.T) {
	root := testenv.Root(t)
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := len(tpl.GetAllServerlessFunctionResources())
	if want < 5 {
		t.Fatalf("the template deploys %d functions: is it read whole?", want)
	}
	for _, rel := range docsChecked(t, root) {
		src, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			for _, m := range functionCount.FindAllStringSubmatch(line, -1) {
				if countIn(m) != want {
					t.Errorf("%s:%d: %q, but the template deploys %d", rel, i+1, m[0], want)
				}
			}
		}
	}
}

// TestDocSizes: docs a reader can take in. README.md is the newcomer's
// page; a guide past 30 KB is several guides; a configuration row past
// 500 characters belongs in a section the row links to.
func TestDocSizes(t *testing.T) {
	root := testenv.Root(t)
	for _, rel := range docsChecked(t, root) {
		src, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		limit := 30 << 10
		if rel == "README.md" {
			limit = 12 << 10
		}
		if len(src) > limit {
			t.Errorf("%s: %d bytes, over %d", rel, len(src), limit)
		}
		if rel != filepath.Join("docs", "configuration.md") {
			continue
		}
		for i, line := range strings.Split(string(src), "\n") {
			if n := utf8.RuneCountInString(line); strings.HasPrefix(line, "|") && n > 500 {
				t.Errorf("%s:%d: a table row of %d characters, over 500: move the explanation to a section the row links to", rel, i+1, n)
			}
		}
	}
}
