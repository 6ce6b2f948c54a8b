package slackui

import (
	"strings"
	"testing"
)

func TestTextHelpers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, got, want string
	}{
		{"truncate short", truncate("abc", 3), "abc"},
		{"truncate long", truncate("abcd", 3), "ab…"},
		{"truncate runes", truncate("ÄÖÜß", 3), "ÄÖ…"},
		{"cut", cut("ÄÖÜß", 3), "ÄÖÜ"},
		{"escape", escape("<!here> & <@U1>"), "&lt;!here&gt; &amp; &lt;@U1&gt;"},
		{"escapeTruncate fits", escapeTruncate("a<b", 10), "a&lt;b"},
		{"escapeTruncate keeps entities whole", escapeTruncate("a<b<c", 8), "a&lt;b…"},
		{"link", link("https://x.test/a?b=1&c=2|3", "go <now>"), "<https://x.test/a?b=1&amp;c=2%7C3|go &lt;now&gt;>"},
		{"link unusable", link("ftp://x", "label"), "label"},
		{"mention", mention("U1"), "<@U1>"},
		{"mention none", mention(""), "none"},
		{"code backtick", code("a`b<"), "`a'b&lt;`"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, tt.got, tt.want)
		}
	}
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://zoom.us/j/1", true},
		{"http://localhost:8080/j/1", true},
		{"", false},
		{"/j/1", false},
		{"javascript:alert(1)", false},
		{"https://zoom.us/j/" + strings.Repeat("1", 3000), false},
	} {
		if got := usableURL(tt.url); got != tt.ok {
			t.Errorf("usableURL(%.40q) = %t; want %t", tt.url, got, tt.ok)
		}
	}
}
