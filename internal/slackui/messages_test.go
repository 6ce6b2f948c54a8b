package slackui

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bridge/incident-bridge/internal/incident"
)

func TestHeaderButtons(t *testing.T) {
	t.Parallel()
	resolved := withMeeting(testIncident(), oneClickMeeting())
	resolved.Status = incident.StatusResolved
	resolvedNoMeeting := testIncident()
	resolvedNoMeeting.Status = incident.StatusResolved
	for _, tt := range []struct {
		name string
		inc  incident.Incident
		zoom bool
		want []string
	}{
		{"no meeting", testIncident(), true, []string{"Create Zoom Meeting", "Edit", "Resolve"}},
		{"zoom off", testIncident(), false, []string{"Edit", "Resolve"}},
		{"meeting", withMeeting(testIncident(), oneClickMeeting()), true, []string{"Join Zoom Meeting", "Edit", "Resolve"}},
		{"meeting, zoom off since", withMeeting(testIncident(), oneClickMeeting()), false, []string{"Join Zoom Meeting", "Edit", "Resolve"}},
		{"resolved", resolved, true, []string{"Join Zoom Meeting", "Edit"}},
		{"resolved without meeting", resolvedNoMeeting, true, []string{"Create Zoom Meeting", "Edit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Header(tt.inc, tt.zoom)
			checkMessage(t, m)
			if got := buttonTexts(m.Blocks); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("buttons %q; want %q", got, tt.want)
			}
			for _, b := range buttons(m.Blocks) {
				switch b.Text {
				case "Create Zoom Meeting":
					if b.ActionID != ActionCreateMeeting || b.Value != "42" || b.Style != slack.StylePrimary || b.URL != "" {
						t.Errorf("create button %+v", b)
					}
				case "Join Zoom Meeting":
					if b.ActionID != ActionJoinMeeting || b.URL != joinURL {
						t.Errorf("join button %+v", b)
					}
				case "Edit":
					if b.ActionID != ActionEdit || b.Value != "42" {
						t.Errorf("edit button %+v", b)
					}
				case "Resolve":
					if b.ActionID != ActionResolve || b.Value != "42" {
						t.Errorf("resolve button %+v", b)
					}
				}
			}
		})
	}
}

func TestHeaderShowsFields(t *testing.T) {
	t.Parallel()
	text := allText(Header(withMeeting(testIncident(), oneClickMeeting()), true).Blocks)
	for _, want := range []string{
		"INC-42: Checkout errors", "*Severity*\nSEV-2", "*Status*\nactive", "*Commander*\n<@U2>",
		"*Customer impact*\nyes", "<" + joinURL + "|", "Passcode: `Zm9vYmFy`", "Declared by <@U1>", "<!date^1741064767^",
		"Payments fail for EU customers.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("header lacks %q in\n%s", want, text)
		}
	}
	bare := testIncident()
	bare.Commander, bare.CustomerImpact, bare.Severity = "", false, incident.SevUnknown
	text = allText(Header(bare, true).Blocks)
	for _, want := range []string{"*Commander*\nnone", "*Meeting*\nnone", "*Customer impact*\nno", "*Severity*\nUNKNOWN"} {
		if !strings.Contains(text, want) {
			t.Errorf("header lacks %q in\n%s", want, text)
		}
	}
}

func TestHeaderLimits(t *testing.T) {
	t.Parallel()
	inc := testIncident()
	inc.Title = strings.Repeat("Ü<&>", 100) // 400 characters, markup included
	inc.Description = strings.Repeat("<&>", 2000)
	inc.Meeting = &incident.Meeting{ID: "1", JoinURL: "https://zoom.us/j/1?pwd=" + strings.Repeat("p", 3100), Passcode: "a`b"}
	m := Header(inc, true)
	checkMessage(t, m)
	h := m.Blocks[0].(*slack.HeaderBlock)
	if runes(h.Text.Text) != 150 || !strings.HasPrefix(h.Text.Text, "INC-42: Ü<&>") || !strings.HasSuffix(h.Text.Text, "…") {
		t.Errorf("header text %d characters: %q", runes(h.Text.Text), h.Text.Text)
	}
	// A join URL Slack would refuse in a button is left out rather than
	// breaking the whole header.
	if got := buttonTexts(m.Blocks); !reflect.DeepEqual(got, []string{"Edit", "Resolve"}) {
		t.Errorf("buttons %q", got)
	}
	// Header blocks are plain text; mrkdwn sections need user text escaped.
	if text := allText(m.Blocks[1:]); strings.Contains(text, "<&>") || !strings.Contains(text, "&lt;&amp;&gt;") {
		t.Error("title or description markup not escaped in mrkdwn")
	}
}

func TestHeaderBlockIDsChangeWithContent(t *testing.T) {
	t.Parallel()
	ids := func(m Message) []string {
		var out []string
		for _, b := range m.Blocks {
			out = append(out, b.ID())
		}
		return out
	}
	a := ids(Header(testIncident(), true))
	if b := ids(Header(testIncident(), true)); !reflect.DeepEqual(a, b) {
		t.Errorf("same incident, different block IDs: %q %q", a, b)
	}
	changed := testIncident()
	changed.Severity = incident.Sev1
	b := ids(Header(changed, true))
	for i := range a {
		if a[i] == b[i] {
			t.Errorf("block %d kept ID %q across a change", i, a[i])
		}
	}
}

func TestStartURLOnlyInEphemeral(t *testing.T) {
	t.Parallel()
	inc := withMeeting(testIncident(), oneClickMeeting())
	eph := MeetingEphemeral(inc, startURL)
	checkMessage(t, eph)

	var hostButtons []btn
	for _, b := range buttons(eph.Blocks) {
		if b.URL == startURL {
			hostButtons = append(hostButtons, b)
		}
	}
	if len(hostButtons) != 1 || hostButtons[0].Text != "Start as host" || hostButtons[0].ActionID != ActionStartAsHost || !hostButtons[0].Alone {
		t.Errorf("start URL buttons %+v; want one Start as host button alone in its actions block", hostButtons)
	}
	if n := strings.Count(string(marshal(t, eph.Blocks)), "SECRET-HOST-TOKEN"); n != 1 {
		t.Errorf("start URL appears %d times in the ephemeral's blocks; want once", n)
	}
	if strings.Contains(eph.Text, "SECRET") {
		t.Error("start URL in the ephemeral's notification text")
	}
	join := findButton(t, eph.Blocks, "Join")
	if join.URL != joinURL || join.ActionID != ActionJoinLink || join.BlockID == hostButtons[0].BlockID {
		t.Errorf("join button %+v", join)
	}
	if !strings.Contains(allText(eph.Blocks), "Only you can see this; it logs you in as host.") {
		t.Error("host note missing")
	}

	// Not the host: no start button, no note.
	guest := MeetingEphemeral(inc, "")
	checkMessage(t, guest)
	if got := buttonTexts(guest.Blocks); !reflect.DeepEqual(got, []string{"Join"}) {
		t.Errorf("guest buttons %q", got)
	}
	if strings.Contains(allText(guest.Blocks), "host.") {
		t.Error("host note shown to a guest")
	}

	// The channel messages never carry a host link, whatever the meeting.
	for name, m := range map[string]Message{
		"header":       Header(inc, true),
		"announcement": MeetingAnnouncement(inc),
		"existing":     ExistingMeeting(inc),
		"list":         List([]incident.Incident{inc}),
	} {
		raw := string(marshal(t, m.Blocks)) + m.Text
		if strings.Contains(raw, "zak=") || strings.Contains(raw, "/s/") {
			t.Errorf("%s carries a start URL", name)
		}
	}
}

func TestMeetingAnnouncement(t *testing.T) {
	t.Parallel()
	auto := incident.Meeting{ID: "9", JoinURL: joinURL, Passcode: "pw", HostKind: incident.HostCommander, HostUser: "U2", Trigger: incident.TriggerAutomatic}
	autoFallback := auto
	autoFallback.HostKind, autoFallback.HostUser = incident.HostFallback, ""
	clickFallback := oneClickMeeting()
	clickFallback.HostKind, clickFallback.HostUser = incident.HostFallback, ""
	replaced := oneClickMeeting()
	replaced.Trigger = incident.TriggerReplace
	for _, tt := range []struct {
		name string
		m    incident.Meeting
		want string
	}{
		{"one click", oneClickMeeting(), "<@U3> started a Zoom meeting for *INC-42: Checkout errors*."},
		{"one click, fallback host", clickFallback, "<@U3> started a Zoom meeting for *INC-42: Checkout errors*. It is hosted by the fallback account."},
		{"automatic", auto, "created automatically, hosted by the commander <@U2>."},
		{"automatic, fallback", autoFallback, "created automatically, hosted by the fallback account."},
		{"replaced", replaced, "<@U3> replaced the Zoom meeting for *INC-42: Checkout errors* with a new one."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := MeetingAnnouncement(withMeeting(testIncident(), tt.m))
			checkMessage(t, m)
			text := allText(m.Blocks)
			if !strings.Contains(text, tt.want) {
				t.Errorf("announcement lacks %q:\n%s", tt.want, text)
			}
			if !strings.Contains(text, "<"+joinURL+"|") || !strings.Contains(text, "*Passcode:* `") {
				t.Errorf("announcement lacks join link or passcode:\n%s", text)
			}
			if b := findButton(t, m.Blocks, "Join Zoom Meeting"); b.URL != joinURL || b.ActionID != ActionJoinMeeting {
				t.Errorf("join button %+v", b)
			}
			if strings.Contains(string(marshal(t, m.Blocks))+m.Text, "@example") {
				t.Error("announcement shows an email")
			}
		})
	}
	// Defensive: no meeting renders a notice, not a broken message.
	checkMessage(t, MeetingAnnouncement(testIncident()))
	checkMessage(t, MeetingEphemeral(testIncident(), startURL))
	if strings.Contains(string(marshal(t, MeetingEphemeral(testIncident(), startURL).Blocks)), "SECRET") {
		t.Error("start URL shown without a meeting")
	}
}

func TestExistingMeeting(t *testing.T) {
	t.Parallel()
	m := ExistingMeeting(withMeeting(testIncident(), oneClickMeeting()))
	checkMessage(t, m)
	if !strings.Contains(allText(m.Blocks), "INC-42 already has a meeting") {
		t.Errorf("text %q", allText(m.Blocks))
	}
	if b := findButton(t, m.Blocks, "Join"); b.URL != joinURL || b.ActionID != ActionJoinLink {
		t.Errorf("join button %+v", b)
	}
	checkMessage(t, ExistingMeeting(testIncident()))
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	u := "https://zoom.us/oauth/authorize?client_id=abc&response_type=code&state=s1&redirect_uri=https%3A%2F%2Fib.example.com%2Fzoom%2Foauth%2Fcallback"
	m := Authorize(u)
	checkMessage(t, m)
	if b := findButton(t, m.Blocks, "Authorize"); b.URL != u || b.ActionID != ActionAuthorize {
		t.Errorf("authorize button %+v", b)
	}
	if text := allText(m.Blocks); !strings.Contains(text, "valid for 10 minutes, single use") {
		t.Errorf("text %q", text)
	}
	bad := Authorize("javascript:alert(1)")
	checkMessage(t, bad)
	if len(buttons(bad.Blocks)) != 0 {
		t.Error("button for an unusable URL")
	}
}

func TestNotice(t *testing.T) {
	t.Parallel()
	m := Notice("The title is empty.")
	checkMessage(t, m)
	if m.Text != "The title is empty." || allText(m.Blocks) != "The title is empty.\n" {
		t.Errorf("notice %+v", m)
	}
	long := Notice(strings.Repeat("x", 5000))
	checkMessage(t, long)
	if len(m.Options()) != 2 {
		t.Error("Options should carry text and blocks")
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	if m := List(nil); m.Text != "No open incidents." || allText(m.Blocks) != "No open incidents.\n" {
		t.Errorf("empty list %+v", m)
	}
	resolved := testIncident()
	resolved.Status = incident.StatusResolved
	if m := List([]incident.Incident{resolved}); m.Text != "No open incidents." {
		t.Errorf("resolved incident listed: %q", m.Text)
	}

	second := testIncident()
	second.Number, second.Channel, second.Title, second.Severity, second.Status, second.Commander = 43, "C43", "Slow search", incident.Sev4, incident.StatusStable, ""
	m := List([]incident.Incident{withMeeting(testIncident(), oneClickMeeting()), second, resolved})
	checkMessage(t, m)
	text := allText(m.Blocks)
	for _, want := range []string{
		"Open incidents (2)",
		"<#C42> *INC-42: Checkout errors*\nSEV-2 · active · commander <@U2> · <" + joinURL + "|join meeting>",
		"<#C43> *INC-43: Slow search*\nSEV-4 · stable · no commander · no meeting",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("list lacks %q in\n%s", want, text)
		}
	}
	if strings.Index(text, "INC-42") > strings.Index(text, "INC-43") {
		t.Error("list reordered the incidents")
	}

	var many []incident.Incident
	for i := 1; i <= 100; i++ {
		inc := testIncident()
		inc.Number, inc.Channel, inc.Title = incident.Number(i), incident.ChannelID(fmt.Sprintf("C%d", i)), strings.Repeat("t", 120)
		many = append(many, inc)
	}
	m = List(many)
	checkMessage(t, m)
	if !strings.Contains(allText(m.Blocks), "and 55 more") || !strings.Contains(allText(m.Blocks), "<#C45>") || strings.Contains(allText(m.Blocks), "<#C46>") {
		t.Errorf("long list: %d blocks, want 45 incidents and \"and 55 more\"", len(m.Blocks))
	}
}

func TestHelpCoversEveryCommand(t *testing.T) {
	t.Parallel()
	m := Help()
	checkMessage(t, m)
	text := allText(m.Blocks)
	for _, cmd := range []string{
		"help", "declare [title]", "adopt [title]", "list", "severity &lt;level&gt;", "status &lt;state&gt;",
		"commander &lt;@user&gt;", "title &lt;text&gt;", "impact yes|no", "edit", "resolve", "zoom",
		"zoom new", "zoom connect", "zoom disconnect", "zoom status", "settings",
	} {
		if !strings.Contains(text, "`/incident "+cmd+"`") {
			t.Errorf("help lacks /incident %s", cmd)
		}
	}
}

func TestChangeLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		by      incident.UserID
		changes []incident.Change
		want    string
	}{
		{"U1", nil, ""},
		{"U1", []incident.Change{{Field: incident.FieldSeverity, Old: "SEV-2", New: "SEV-1"}}, "<@U1> set severity SEV-2 → SEV-1"},
		{"U1", []incident.Change{
			{Field: incident.FieldSeverity, Old: "UNKNOWN", New: "SEV-1"},
			{Field: incident.FieldStatus, Old: "active", New: "stable"},
			{Field: incident.FieldCommander, Old: "", New: "U2"},
		}, "<@U1> set severity UNKNOWN → SEV-1, status active → stable and commander none → <@U2>"},
		{"U1", []incident.Change{{Field: incident.FieldCommander, Old: "U2", New: "U3"}}, "<@U1> set commander <@U2> → <@U3>"},
		{"U1", []incident.Change{{Field: incident.FieldTitle, Old: "a", New: "<!channel> & co"}}, "<@U1> set title “a” → “&lt;!channel&gt; &amp; co”"},
		{"U1", []incident.Change{{Field: incident.FieldCustomerImpact, Old: "no", New: "yes"}}, "<@U1> set customer impact no → yes"},
		{"U1", []incident.Change{{Field: incident.FieldDescription, Old: "x", New: "secret details"}}, "<@U1> updated the description"},
		{"", []incident.Change{
			{Field: incident.FieldStatus, Old: "stable", New: "resolved"},
			{Field: incident.FieldDescription, Old: "", New: "y"},
		}, "incident-bridge set status stable → resolved and updated the description"},
	} {
		if got := ChangeLine(tt.by, tt.changes); got != tt.want {
			t.Errorf("ChangeLine(%q, %+v) = %q; want %q", tt.by, tt.changes, got, tt.want)
		}
	}
}

// A meeting whose join URL Slack would refuse in a button must not break
// the messages that show it: they drop the button and still post.
func TestMeetingMessagesWithUnusableJoinURL(t *testing.T) {
	t.Parallel()
	for name, u := range map[string]string{
		"empty":     "",
		"too long":  "https://zoom.us/j/1?pwd=" + strings.Repeat("p", 3000),
		"no scheme": "zoom.us/j/1",
	} {
		inc := withMeeting(testIncident(), incident.Meeting{ID: "81234567890", JoinURL: u, Passcode: "pw", HostKind: incident.HostRequester, HostUser: "U3", CreatedBy: "U3"})
		for kind, m := range map[string]Message{
			"header":       Header(inc, true),
			"announcement": MeetingAnnouncement(inc),
			"ephemeral":    MeetingEphemeral(inc, startURL),
			"existing":     ExistingMeeting(inc),
			"list":         List([]incident.Incident{inc}),
		} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				checkMessage(t, m)
				for _, b := range buttons(m.Blocks) {
					if b.URL != "" && b.URL != startURL && b.URL == u {
						t.Errorf("button %q links the unusable URL", b.Text)
					}
				}
				if u == "" && kind != "header" && kind != "list" && !strings.Contains(allText(m.Blocks), "81234567890") {
					t.Errorf("meeting ID not shown without a join URL:\n%s", allText(m.Blocks))
				}
			})
		}
	}
}
