// Package markup escapes values for HTML exactly as html/template does in
// the two places the project's pages and emails put them: a text node or a
// quoted attribute (Text), and a whole href (Href, URL.Href). It exists so
// the Lambda binaries render without text/template's reflective method
// lookup, which switches the linker's dead-code elimination off and keeps
// every exported method of every SDK client in the binary. Its tests hold
// it to html/template's own escapers.
package markup

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text escapes s for an HTML text node or a double-quoted attribute value:
// & < > " ' and + become entities and NUL the replacement character, as
// html/template's htmlEscaper and attrEscaper do for a string.
func Text(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		var repl string
		switch r {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		}
		if repl != "" {
			if written == 0 {
				b.Grow(len(s) + 16)
			}
			b.WriteString(s[written:i])
			b.WriteString(repl)
			written = i + w
		}
		i += w
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// URL is a link the project's code built and vouches for (a tel:, sms: or
// mailto: link with its parts checked or encoded), as html/template trusts
// its URL type: its scheme is not filtered.
type URL string

// Href is u as the whole value of a double-quoted href.
func (u URL) Href() string { return Text(normalize(string(u))) }

// failsafe is what html/template puts in place of a URL with another scheme.
const failsafe = "#ZgotmplZ"

// Href is s, a URL the project did not build (a signed link, say), as the
// whole value of a double-quoted href: a scheme other than http, https or
// mailto becomes "#ZgotmplZ", as html/template's urlFilter does.
func Href(s string) string {
	if !safeScheme(s) {
		s = failsafe
	}
	return Text(normalize(s))
}

func safeScheme(s string) bool {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
	}
	return true
}

// normalize percent-encodes every byte a URL may not hold as it is (a
// space, a quote, a parenthesis, non-ASCII bytes), keeping the reserved and
// unreserved characters and valid %XX escapes: html/template's
// urlNormalizer.
func normalize(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0,
			'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteByte('%')
		if c < 0x10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.FormatUint(uint64(c), 16))
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Builder collects a page or an email part from its pieces, in order: the
// values among them already escaped by Text, Href or URL.Href.
type Builder struct{ strings.Builder }

// Add writes parts in order.
func (b *Builder) Add(parts ...string) {
	for _, p := range parts {
		b.WriteString(p)
	}
}
