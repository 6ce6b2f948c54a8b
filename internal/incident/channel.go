package incident

import (
	"strconv"
	"strings"
)

// MaxChannelName is Slack's limit on channel names.
const MaxChannelName = 80

// ChannelName returns the incident channel's name, <prefix><n>-<slug>: the
// title lower-cased, runs of anything but letters and digits turned into one
// dash, the whole cut to Slack's 80 characters. attempt > 0 adds "-<attempt+1>"
// for retries after name_taken.
func ChannelName(prefix string, n Number, title string, attempt int) string {
	base := prefix + strconv.FormatInt(int64(n), 10)
	suffix := ""
	if attempt > 0 {
		suffix = "-" + strconv.Itoa(attempt+1)
	}
	slug := Slug(title)
	room := MaxChannelName - len(base) - len(suffix) - 1
	if room > 0 && slug != "" {
		if len(slug) > room {
			slug = strings.TrimRight(slug[:room], "-")
		}
		if slug != "" {
			base += "-" + slug
		}
	}
	return base + suffix
}

// Slug lower-cases s and turns every run of characters other than ASCII
// letters and digits into a single dash, trimmed at both ends.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
