package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bridge/incident-bridge/internal/config"
	"github.com/incident-bridge/incident-bridge/internal/fakeslack"
	"github.com/incident-bridge/incident-bridge/internal/fakezoom"
	"github.com/incident-bridge/incident-bridge/internal/incident"
	"github.com/incident-bridge/incident-bridge/internal/store"
)

// The install-flow world: the Zoom app's credentials and the public URL
// Zoom redirects to (a placeholder: the tests send the browser's request to
// the app's real address instead).
const (
	cxPublicURL     = "https://bridge.example"
	cxClientID      = "cx-install-client-id"
	cxClientSecret  = "cx-install-client-secret-5f1c9a"
	cxWebhookSecret = "cx-webhook-secret-token-77ad"
)

// cxInstall configures the install flow: Zoom credentials without
// ZOOM_ACCOUNT_ID, PUBLIC_URL, the webhook secret, and a fake Zoom that
// only accepts the app's registered redirect URL.
func cxInstall(cfg *config.Config, zo *fakezoom.Options) {
	cfg.ZoomClientID, cfg.ZoomClientSecret, cfg.ZoomAccountID = cxClientID, config.Secret(cxClientSecret), ""
	cfg.PublicURL = cxPublicURL
	cfg.ZoomWebhookSecretToken = config.Secret(cxWebhookSecret)
	zo.ClientID, zo.ClientSecret = cxClientID, cxClientSecret
	zo.RedirectURL = cxPublicURL + "/zoom/oauth/callback"
}

// cxGrant is where Zoom's consent screen sent the admin's browser.
type cxGrant struct {
	redirect    string // PUBLIC_URL/zoom/oauth/callback?code=…&state=…
	code, state string
}

// cxAuthorizeLink is an admin typing /incident zoom connect and pressing
// Authorize: it returns the URL their browser opened.
func cxAuthorizeLink(w *world, admin fakeslack.UserID) string {
	w.t.Helper()
	n := len(w.slack.Ephemerals(admin))
	w.slack.MustSlash(w.t, admin, w.general, "zoom connect")
	fakeslack.Eventually(w.t, func() bool {
		es := w.slack.Ephemerals(admin)
		return len(es) > n && strings.Contains(strings.Join(fakeslack.EphemeralTexts(es[len(es)-1]), "\n"), "Authorize")
	})
	resp := w.slack.MustClick(w.t, admin, w.general, "Authorize")
	if !strings.HasPrefix(resp.URL, w.zoom.OAuthURL()+"/oauth/authorize?") {
		w.t.Fatalf("Authorize opened %q; want Zoom's /oauth/authorize", resp.URL)
	}
	return resp.URL
}

// cxAllow is a Zoom admin (signed in as zoomUser) approving the app on
// link's consent screen.
func cxAllow(w *world, link, zoomUser string) cxGrant {
	w.t.Helper()
	redirect, err := w.zoom.Authorize(w.t.Context(), link, zoomUser)
	if err != nil {
		w.t.Fatalf("zoom consent: %v", err)
	}
	return cxParseGrant(w.t, redirect)
}

func cxParseGrant(t *testing.T, redirect string) cxGrant {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatalf("redirect %q: %v", redirect, err)
	}
	return cxGrant{redirect: redirect, code: u.Query().Get("code"), state: u.Query().Get("state")}
}

// cxCallback follows Zoom's redirect to the running app's HTTP server, as
// the admin's browser would reach PUBLIC_URL, and returns the page.
func cxCallback(w *world, redirect string) (int, string) {
	w.t.Helper()
	if !strings.HasPrefix(redirect, cxPublicURL+"/zoom/oauth/callback") {
		w.t.Fatalf("zoom redirected to %q; want PUBLIC_URL/zoom/oauth/callback", redirect)
	}
	return cxGet(w.t, "http://"+w.http+strings.TrimPrefix(redirect, cxPublicURL))
}

// cxConnect runs the whole install flow for alice, signed in to Zoom as
// its owner, and checks the success page.
func cxConnect(w *world) cxGrant {
	w.t.Helper()
	g := cxAllow(w, cxAuthorizeLink(w, alice), "alice@example.com")
	if code, page := cxCallback(w, g.redirect); code != http.StatusOK || !strings.Contains(page, "Zoom is connected to your Slack workspace") {
		w.t.Fatalf("callback answered %d:\n%s\nwant 200 and the connected page", code, page)
	}
	return g
}

func cxGet(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// cxDMs is every direct message the app sent user, as they read them.
func cxDMs(w *world, user fakeslack.UserID) string {
	var b strings.Builder
	for _, m := range w.slack.DirectMessages(user) {
		b.WriteString(fakeslack.Text(m) + "\n")
	}
	return b.String()
}

// cxCountDMs counts user's direct messages containing substr.
func cxCountDMs(w *world, user fakeslack.UserID, substr string) int {
	n := 0
	for _, m := range w.slack.DirectMessages(user) {
		if strings.Contains(fakeslack.Text(m), substr) {
			n++
		}
	}
	return n
}

// cxAsk runs a slash command and waits for the newest thing user is shown
// after it, which it returns.
func cxAsk(w *world, user fakeslack.UserID, ch fakeslack.ChannelID, text, want string) string {
	w.t.Helper()
	n := len(w.slack.Ephemerals(user))
	w.slack.MustSlash(w.t, user, ch, text)
	var got string
	fakeslack.Eventually(w.t, func() bool {
		es := w.slack.Ephemerals(user)
		for _, e := range es[min(n, len(es)):] {
			if s := strings.Join(fakeslack.EphemeralTexts(e), "\n"); strings.Contains(s, want) {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

// cxStoredConnection reads the workspace's connection from the database
// of a stopped app, with the app's key.
func cxStoredConnection(w *world) incident.ZoomConnection {
	w.t.Helper()
	st, closeStore := w.openStore()
	defer closeStore()
	conn, err := st.ZoomConnection(w.t.Context(), incident.TeamID(w.slack.TeamID()))
	if err != nil {
		w.t.Fatalf("stored zoom connection: %v", err)
	}
	return conn
}

// cxSecretsIn reports which of secrets occur in text.
func cxSecretsIn(text string, secrets map[string]string) []string {
	var found []string
	for what, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			found = append(found, what)
		}
	}
	return found
}

// TestCxInstallFlow: an admin connects Zoom from Slack through the fake
// consent screen and the app's own callback; meetings then use the
// installed token; the tokens are sealed on disk and never logged; the
// connection survives a restart; `check` passes; disconnect revokes the
// token at Zoom and deletes it, after which clicks say how to reconnect.
func TestCxInstallFlow(t *testing.T) {
	t.Parallel()
	w := newWorld(t, cxInstall)

	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") {
		t.Errorf("status before connecting:\n%s\nwant not connected", saw)
	}
	if saw := cxAsk(w, bob, w.general, "zoom connect", "Only workspace admins"); strings.Contains(saw, "Authorize") {
		t.Errorf("bob, not an admin, was offered the Authorize link:\n%s", saw)
	}

	g := cxConnect(w)
	fakeslack.Eventually(t, func() bool { return strings.Contains(cxDMs(w, alice), "Zoom is connected") })
	if got := w.zoom.TokenRequests("authorization_code"); got != 1 {
		t.Errorf("authorization_code token requests = %d; want 1", got)
	}

	saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:")
	for _, want := range []string{
		"connected (installed by an admin (OAuth)) by <@UALICE>",
		"scopes granted: meeting:write:meeting:admin, user:read:user:admin",
		"optional scope meeting:read:list_meetings:admin not granted, so this is off: find a meeting again after a crash",
	} {
		if !strings.Contains(saw, want) {
			t.Errorf("zoom status lacks %q:\n%s", want, saw)
		}
	}

	ch := w.declare(alice, "Install token meeting", fakeslack.Fields{"Severity": "SEV-2"})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Start as host")
	if ms := w.zoom.Meetings(); len(ms) != 1 || ms[0].HostEmail != "alice@example.com" {
		t.Fatalf("zoom meetings = %+v; want one hosted by alice", ms)
	}
	if got := w.zoom.TokenRequests("account_credentials"); got != 0 {
		t.Errorf("account_credentials token requests = %d; the install flow must not use Server-to-Server", got)
	}

	// At rest: stop the app, read the sealed pair with the app's key, and
	// look for it in the raw file.
	w.stop()
	conn := cxStoredConnection(w)
	if conn.AccessToken == "" || conn.RefreshToken == "" || conn.ConnectedBy != incident.UserID(alice) || conn.AccountID != w.zoom.AccountID() {
		t.Fatalf("stored connection: account %q, by %q, tokens present %v/%v; want tokens, connected by alice, account %s",
			conn.AccountID, conn.ConnectedBy, conn.AccessToken != "", conn.RefreshToken != "", w.zoom.AccountID())
	}
	raw, err := os.ReadFile(w.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"access token": conn.AccessToken, "refresh token": conn.RefreshToken,
		"client secret": cxClientSecret, "authorization code": g.code, "oauth state": g.state,
		"webhook secret": cxWebhookSecret,
	}
	if found := cxSecretsIn(string(raw), secrets); len(found) > 0 {
		t.Errorf("the database file holds, in clear: %v", found)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		if bytes.Contains(raw, []byte(enc.EncodeToString([]byte(conn.RefreshToken)))) {
			t.Error("the database file holds the refresh token, base64-encoded")
		}
	}
	fi, err := os.Stat(w.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode %#o; want 0600", fi.Mode().Perm())
	}

	// check, with the app stopped, finds the workspace's connection.
	env := cxEnv(w.slack, w.zoom, w.cfg.DBPath, w.cfg.EncryptionKey.Reveal(), true)
	code, out, errOut := cxRunCheck(t, env)
	if code != 0 || !strings.Contains(out, "ok   zoom") || !strings.Contains(out, "Zoom account "+w.zoom.AccountID()) {
		t.Errorf("check in install mode, connected: exit %d\n%s%s\nwant 0 and the connected account", code, out, errOut)
	}

	w.start()
	ch2 := w.declare(bob, "After restart", fakeslack.Fields{})
	w.slack.MustClick(t, bob, ch2.ID, "Create Zoom Meeting")
	w.eventuallySaw(bob, "Start as host")

	if saw := cxAsk(w, alice, w.general, "zoom disconnect", "Zoom is disconnected"); !strings.Contains(saw, "/incident zoom connect") {
		t.Errorf("disconnect answered:\n%s\nwant how to connect again", saw)
	}
	// Both tokens are revoked: an access token past its hour may be
	// refused while the refresh token keeps the grant alive. (No refresh
	// happened since conn was read: the access token lasts an hour.)
	stored := conn
	revoked := map[string]bool{}
	for _, r := range w.zoom.Revocations() {
		if !r.Known || r.AccountID != w.zoom.AccountID() {
			t.Errorf("a revocation of a token Zoom did not issue for the account: known %v", r.Known)
		}
		revoked[r.Token] = true
	}
	if len(revoked) != 2 || !revoked[stored.RefreshToken] {
		t.Fatalf("%d tokens revoked (refresh token among them: %v); want the access and the refresh token of the installed grant", len(revoked), revoked[stored.RefreshToken])
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") || strings.Contains(saw, "scopes granted") {
		t.Errorf("status after disconnect:\n%s\nwant not connected", saw)
	}
	ch3 := w.declare(alice, "After disconnect", fakeslack.Fields{})
	w.slack.MustClick(t, alice, ch3.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Zoom is not connected")
	if !strings.Contains(w.saw(alice), "/incident zoom connect") {
		t.Errorf("after disconnect alice saw:\n%s\nwant the way to connect", w.saw(alice))
	}
	if n := w.zoom.CreateCalls(); n != 2 {
		t.Errorf("zoom create calls = %d; want 2 (none after disconnect)", n)
	}

	w.stop()
	logs := w.logs.String()
	if !strings.Contains(logs, "zoom connected") || !strings.Contains(logs, "zoom disconnected") {
		t.Fatal("logs were not captured")
	}
	if found := cxSecretsIn(logs, secrets); len(found) > 0 {
		t.Errorf("logs contain: %v", found)
	}
}

// TestCxAuthorizationRefused: a declined consent, a forged state, a
// missing state and a replayed redirect each get a plain error page and
// connect nothing; a forged or replayed state never reaches Zoom's token
// endpoint.
func TestCxAuthorizationRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, cxInstall)

	// Before any connection, a click says how to connect.
	ch := w.declare(alice, "Not yet connected", fakeslack.Fields{})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Zoom is not connected")
	if !strings.Contains(w.saw(alice), "/incident zoom connect") {
		t.Errorf("alice saw:\n%s\nwant the way to connect", w.saw(alice))
	}

	// Declined on Zoom's consent screen.
	redirect, err := w.zoom.Deny(t.Context(), cxAuthorizeLink(w, alice))
	if err != nil {
		t.Fatal(err)
	}
	if code, page := cxCallback(w, redirect); code != http.StatusBadRequest || !strings.Contains(page, "You declined to authorize") {
		t.Errorf("denied: %d\n%s\nwant 400 and the declined page", code, page)
	}

	// A state this app never issued, though Zoom's consent was genuine.
	u, err := url.Parse(cxAuthorizeLink(w, alice))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("state", "cx-forged-"+strings.Repeat("A", 30))
	u.RawQuery = q.Encode()
	forged := cxAllow(w, u.String(), "alice@example.com")
	if code, page := cxCallback(w, forged.redirect); code != http.StatusBadRequest ||
		!strings.Contains(page, "invalid, expired or already used") || !strings.Contains(page, "/incident zoom connect") {
		t.Errorf("forged state: %d\n%s\nwant 400, refused and how to start again", code, page)
	}

	// No state at all.
	u, err = url.Parse(cxAllow(w, cxAuthorizeLink(w, alice), "alice@example.com").redirect)
	if err != nil {
		t.Fatal(err)
	}
	q = u.Query()
	q.Del("state")
	u.RawQuery = q.Encode()
	if code, page := cxCallback(w, u.String()); code != http.StatusBadRequest ||
		!strings.Contains(page, "has no state") || !strings.Contains(page, "/incident zoom connect") {
		t.Errorf("missing state: %d\n%s\nwant 400, refused and how to start again", code, page)
	}
	if n := w.zoom.TokenRequests("authorization_code"); n != 0 {
		t.Errorf("authorization_code token requests = %d after refused states; want 0", n)
	}
	if dms := cxDMs(w, alice); strings.Contains(dms, "Zoom is connected") {
		t.Errorf("alice was told Zoom is connected though nothing was:\n%s", dms)
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") {
		t.Errorf("status after refused attempts:\n%s\nwant not connected", saw)
	}

	// A genuine grant connects; replaying its redirect is refused.
	g := cxConnect(w)
	if code, page := cxCallback(w, g.redirect); code != http.StatusBadRequest || !strings.Contains(page, "already used") {
		t.Errorf("replayed redirect: %d\n%s\nwant 400 and already used", code, page)
	}
	if n := w.zoom.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("authorization_code token requests = %d; want 1 (the replay must not reach Zoom)", n)
	}
	if n := cxCountDMs(w, alice, "Zoom is connected"); n != 1 {
		t.Errorf("alice got %d connected DMs; want 1", n)
	}
	w.stop()
	if found := cxSecretsIn(w.logs.String(), map[string]string{"code": g.code, "state": g.state, "client secret": cxClientSecret}); len(found) > 0 {
		t.Errorf("logs contain the %v", found)
	}
}

// TestCxTokenRotation: when Zoom expires the access token, concurrent
// clicks in several incidents share one refresh; when Zoom revokes the
// grant, the connection is marked broken, admins hear it once, the dead
// refresh token is not tried again, and reconnecting fixes it.
func TestCxTokenRotation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, cxInstall)
	cxConnect(w)

	var chans []fakeslack.Channel
	for _, title := range []string{"Rotation alpha", "Rotation bravo", "Rotation charlie", "Rotation delta"} {
		chans = append(chans, w.declare(alice, title, fakeslack.Fields{}))
	}
	w.zoom.ExpireAccessTokens()
	cxClickAll(t, w, bob, chans, "Create Zoom Meeting")
	for _, ch := range chans {
		fakeslack.Eventually(t, func() bool { return strings.Contains(w.header(ch.ID), "Join Zoom Meeting") })
	}
	if n := w.zoom.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("refresh_token requests = %d for %d concurrent clicks on an expired token; want 1", n, len(chans))
	}
	if n := len(w.zoom.Meetings()); n != len(chans) {
		t.Errorf("zoom has %d meetings; want %d", n, len(chans))
	}

	// Zoom revokes the grant: the next presses fail, saying how to fix it.
	w.zoom.RevokeAll()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, ch := range chans[:2] {
		wg.Go(func() {
			if _, err := w.slack.SlashCommand(t.Context(), alice, ch.ID, "zoom new"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	fakeslack.Eventually(t, func() bool {
		return strings.Count(w.saw(alice), "Zoom is not connected (or its authorisation was revoked)") == 2
	})
	fakeslack.Eventually(t, func() bool { return cxCountDMs(w, alice, "Zoom refused") == 1 })
	w.slack.MustSlash(t, alice, chans[2].ID, "zoom new")
	fakeslack.Eventually(t, func() bool {
		return strings.Count(w.saw(alice), "Zoom is not connected (or its authorisation was revoked)") == 3
	})
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "authorisation refused by Zoom") {
		t.Errorf("status of a revoked grant:\n%s\nwant refused", saw)
	}
	if n := cxCountDMs(w, alice, "Zoom refused"); n != 1 {
		t.Errorf("alice was told %d times that Zoom refused the authorisation; want once", n)
	}
	if n := w.zoom.TokenRequests("refresh_token"); n != 2 {
		t.Errorf("refresh_token requests = %d; want 2 (one more, refused, then none while broken)", n)
	}
	if n := len(w.zoom.Meetings()); n != len(chans) {
		t.Errorf("zoom has %d meetings after the revocation; want still %d", n, len(chans))
	}
	_, metrics := cxGet(t, "http://"+w.http+"/metrics")
	for _, want := range []string{
		"incident_bridge_zoom_connection_broken_total 1",
		"incident_bridge_zoom_connections_broken 1",
		`incident_bridge_meeting_failures_total{reason="not_connected"} 3`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Reconnecting mends it, and the broken gauge says so at once.
	cxConnect(w)
	if _, metrics := cxGet(t, "http://"+w.http+"/metrics"); !strings.Contains(metrics, "incident_bridge_zoom_connections_broken 0") {
		t.Error("/metrics lacks incident_bridge_zoom_connections_broken 0 after reconnecting")
	}
	n := len(w.slack.Ephemerals(alice))
	w.slack.MustSlash(t, alice, chans[0].ID, "zoom new")
	fakeslack.Eventually(t, func() bool {
		es := w.slack.Ephemerals(alice)
		for _, e := range es[min(n, len(es)):] {
			if strings.Contains(strings.Join(fakeslack.EphemeralTexts(e), "\n"), "Start as host") {
				return true
			}
		}
		return false
	})
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "connected (installed by an admin (OAuth))") {
		t.Errorf("status after reconnecting:\n%s\nwant connected", saw)
	}
}

// cxClickAll presses the button in every channel at once.
func cxClickAll(t *testing.T, w *world, user fakeslack.UserID, chans []fakeslack.Channel, button string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(chans))
	for _, ch := range chans {
		wg.Go(func() {
			if _, err := w.slack.ClickButton(t.Context(), user, ch.ID, button); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestCxWebhooks drives the running app's webhook endpoint as Zoom does:
// URL validation, a verified event, forged, stale and unsigned ones (401,
// nothing changes), and the deauthorization that deletes the tokens and
// tells the admin.
func TestCxWebhooks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, cxInstall)
	cxConnect(w)
	hook := "http://" + w.http + "/zoom/webhook"
	ctx := t.Context()

	if err := w.zoom.ValidateURL(ctx, hook, cxWebhookSecret); err != nil {
		t.Errorf("url validation: %v", err)
	}
	if err := w.zoom.ValidateURL(ctx, hook, "not-the-secret"); err == nil {
		t.Error("url validation signed with another secret passed")
	}
	started := map[string]any{"account_id": w.zoom.AccountID(), "object": map[string]any{"id": "85746065432", "uuid": "cx-uuid", "host_id": "zalice", "topic": "INC-1", "type": 2}}
	if resp, err := w.zoom.SendWebhook(ctx, hook, cxWebhookSecret, "meeting.started", started); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("verified meeting.started: %v %v; want 200", cxStatus(resp), err)
	}

	deauth := map[string]any{"account_id": w.zoom.AccountID(), "user_id": "zalice", "signature": "00", "deauthorization_time": "2026-01-01T00:00:00.000Z", "client_id": cxClientID}
	for name, opt := range map[string]fakezoom.WebhookOption{
		"bad signature": fakezoom.BadSignature(),
		"stale":         fakezoom.StaleTimestamp(10 * time.Minute),
		"unsigned":      fakezoom.Unsigned(),
	} {
		resp, err := w.zoom.SendWebhook(ctx, hook, cxWebhookSecret, "app_deauthorized", deauth, opt)
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s app_deauthorized: %v %v; want 401", name, cxStatus(resp), err)
		}
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "connected (installed") {
		t.Errorf("status after refused webhooks:\n%s\nwant still connected", saw)
	}
	if strings.Contains(cxDMs(w, alice), "removed") {
		t.Error("alice was told of a deauthorization that was never verified")
	}

	// A workspace owner who did not connect Zoom hears of it too (SPEC §7:
	// "tells the workspace's admins"); a member does not.
	owner := w.slack.AddUser(fakeslack.User{ID: "UOWNER", Name: "olivia", IsOwner: true})
	resp, err := w.zoom.Deauthorize(ctx, hook, cxWebhookSecret, w.zoom.AccountID())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("deauthorize: %v %v; want 200", cxStatus(resp), err)
	}
	for _, u := range []fakeslack.UserID{alice, owner} {
		fakeslack.Eventually(t, func() bool {
			return strings.Contains(cxDMs(w, u), "The Zoom app was removed from your Zoom account")
		})
	}
	if dms := cxDMs(w, bob); strings.Contains(dms, "removed") {
		t.Errorf("bob, not an admin, was told of the removal:\n%s", dms)
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") {
		t.Errorf("status after deauthorization:\n%s\nwant not connected", saw)
	}
	// Zoom redelivers; the second delivery changes nothing and tells nobody.
	if resp, err := w.zoom.Deauthorize(ctx, hook, cxWebhookSecret, w.zoom.AccountID()); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("repeated deauthorize: %v %v; want 200", cxStatus(resp), err)
	}
	ch := w.declare(alice, "After deauthorization", fakeslack.Fields{})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Zoom is not connected")
	for _, u := range []fakeslack.UserID{alice, owner} {
		if n := cxCountDMs(w, u, "removed from your Zoom account"); n != 1 {
			t.Errorf("%s was told %d times of the removal; want once", u, n)
		}
	}

	_, metrics := cxGet(t, "http://"+w.http+"/metrics")
	for _, want := range []string{
		`incident_bridge_webhooks_total{event="app_deauthorized",result="ok"} 2`,
		`incident_bridge_webhooks_total{event="endpoint.url_validation",result="ok"} 1`,
		`incident_bridge_webhooks_total{event="unknown",result="unauthorized"} 4`,
		`incident_bridge_webhooks_total{event="other",result="ignored"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	w.stop()
	if found := cxSecretsIn(w.logs.String(), map[string]string{"webhook secret": cxWebhookSecret}); len(found) > 0 {
		t.Errorf("logs contain the %v", found)
	}
}

func cxStatus(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// TestCxProbesAndMetrics: /healthz answers; /readyz follows the Socket
// Mode connection down and back up; /metrics counts a meeting; and
// `zoom status` in Server-to-Server mode names the scopes and the
// optional one that turns on crash reconciliation.
func TestCxProbesAndMetrics(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	base := "http://" + w.http

	if code, body := cxGet(t, base+"/healthz"); code != http.StatusOK || body != "ok" {
		t.Errorf("/healthz = %d %q; want 200 ok", code, body)
	}
	// The bot hears of the socket a moment after Slack does.
	cxPoll(t, func() bool {
		code, body := cxGet(t, base+"/readyz")
		return code == http.StatusOK && body == "ready"
	}, "/readyz to answer 200 ready while connected")

	// Slack drops the socket, and the first reconnections fail.
	connects := w.slack.ConnectCount()
	w.slack.FailNext("apps.connections.open", 4, "internal_error")
	w.slack.Disconnect("warning")
	cxPoll(t, func() bool {
		code, body := cxGet(t, base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "socket mode not connected")
	}, "/readyz to turn 503 while the socket is down")
	cxPoll(t, func() bool {
		code, _ := cxGet(t, base+"/readyz")
		return code == http.StatusOK
	}, "/readyz to turn 200 after the reconnection")
	if w.slack.ConnectCount() <= connects {
		t.Error("/readyz is ready again without a new socket")
	}
	if code, _ := cxGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d during the reconnection; want 200 (alive)", code)
	}

	ch := w.declare(alice, "Counted meeting", fakeslack.Fields{})
	w.slack.MustClick(t, alice, ch.ID, "Create Zoom Meeting")
	w.eventuallySaw(alice, "Start as host")
	code, metrics := cxGet(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`incident_bridge_meetings_created_total{host="requester",trigger="one_click"} 1`,
		`incident_bridge_socket_connected 1`,
		`incident_bridge_zoom_request_duration_seconds_count{code="201",op="POST /users/{userId}/meetings"} 1`,
		// Slack's {"ok":false} answers come with HTTP 200: counted by code.
		`incident_bridge_slack_requests_total{method="apps.connections.open",outcome="internal_error"} 4`,
		`incident_bridge_slack_request_duration_seconds_count{method="apps.connections.open",ok="false"} 4`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:")
	for _, want := range []string{
		"connected (Server-to-Server OAuth)",
		"scopes granted: meeting:write:meeting:admin, user:read:user:admin",
		"optional scope meeting:read:list_meetings:admin not granted, so this is off: find a meeting again after a crash",
	} {
		if !strings.Contains(saw, want) {
			t.Errorf("zoom status lacks %q:\n%s", want, saw)
		}
	}
	if saw := cxAsk(w, alice, w.general, "zoom connect", "Server-to-Server"); strings.Contains(saw, "Authorize") {
		t.Errorf("zoom connect in Server-to-Server mode offered a link:\n%s", saw)
	}
}

// cxPoll waits for cond, polling often, for at most 10 s.
func cxPoll(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// cxEnv is the environment of `incident-bridge check` against the fakes;
// install leaves ZOOM_ACCOUNT_ID unset.
func cxEnv(sl *fakeslack.Server, zm *fakezoom.Server, dbPath, key string, install bool) map[string]string {
	env := map[string]string{
		"SLACK_APP_TOKEN": sl.AppToken(), "SLACK_BOT_TOKEN": sl.BotToken(), "SLACK_API_URL": sl.APIURL(),
		"ZOOM_CLIENT_ID": zm.ClientID(), "ZOOM_CLIENT_SECRET": zm.ClientSecret(), "ZOOM_ACCOUNT_ID": zm.AccountID(),
		"ZOOM_API_URL": zm.APIURL(), "ZOOM_OAUTH_URL": zm.OAuthURL(),
		"DB_PATH": dbPath, "ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte(key)),
	}
	if install {
		delete(env, "ZOOM_ACCOUNT_ID")
		env["PUBLIC_URL"] = cxPublicURL
	}
	return env
}

// cxRunCheck runs `incident-bridge check` through Main.
func cxRunCheck(t *testing.T, env map[string]string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(t.Context(), []string{"check"}, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// cxLine returns check's line for name, or "".
func cxLine(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if len(l) > 5 && strings.HasPrefix(l[5:], name) {
			return l
		}
	}
	return ""
}

// TestCxCheck runs `incident-bridge check` against the fakes: all good in
// Server-to-Server mode; a bad bot token; the install flow with no
// database and with one but no connection (the connected case is in
// TestCxInstallFlow). Secrets never reach the output.
func TestCxCheck(t *testing.T) {
	t.Parallel()
	sl := fakeslack.New(fakeslack.Options{})
	t.Cleanup(sl.Close)
	zm := fakezoom.New(fakezoom.Options{})
	t.Cleanup(zm.Close)
	key := strings.Repeat("k", config.KeySize)
	dir := t.TempDir()

	env := cxEnv(sl, zm, filepath.Join(dir, "s2s.db"), key, false)
	code, out, errOut := cxRunCheck(t, env)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("check (all good) exit %d, %d lines:\n%s%s\nwant 0 and one line per check", code, len(lines), out, errOut)
	}
	for i, name := range []string{"slack bot token", "slack app token", "database", "zoom"} {
		if !strings.HasPrefix(lines[i], "ok   "+name) {
			t.Errorf("line %d = %q; want ok %s", i, lines[i], name)
		}
	}
	if z := cxLine(out, "zoom"); !strings.Contains(z, "Zoom account "+zm.AccountID()) || !strings.Contains(z, "Server-to-Server OAuth; scopes granted") {
		t.Errorf("zoom line %q; want the account and its scopes", z)
	}
	if _, err := os.Stat(filepath.Join(dir, "s2s.db")); err == nil {
		t.Error("check created the database it was only meant to check")
	}

	bad := cxEnv(sl, zm, filepath.Join(dir, "s2s.db"), key, false)
	bad["SLACK_BOT_TOKEN"] = "xoxb-not-the-token"
	code, out, _ = cxRunCheck(t, bad)
	if l := cxLine(out, "slack bot token"); code == 0 || !strings.HasPrefix(l, "FAIL") || !strings.Contains(l, "SLACK_BOT_TOKEN") {
		t.Errorf("bad bot token: exit %d, line %q; want non-zero and a FAIL line naming SLACK_BOT_TOKEN", code, l)
	}

	installDB := filepath.Join(dir, "install.db")
	inst := cxEnv(sl, zm, installDB, key, true)
	code, out, _ = cxRunCheck(t, inst)
	if l := cxLine(out, "zoom"); code == 0 || !strings.HasPrefix(l, "FAIL") || !strings.Contains(l, "/incident zoom connect") {
		t.Errorf("install flow, no database: exit %d, line %q; want non-zero and how to connect", code, l)
	}
	st, err := store.Open(installDB, store.Options{Key: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cxRunCheck(t, inst)
	l := cxLine(out, "zoom")
	if code == 0 || !strings.HasPrefix(l, "FAIL") || !strings.Contains(l, "workspace "+string(sl.TeamID())+" has no working Zoom connection") || !strings.Contains(l, "/incident zoom connect") {
		t.Errorf("install flow, not connected: exit %d, line %q; want non-zero, the workspace and how to connect", code, l)
	}
	if db := cxLine(out, "database"); !strings.HasPrefix(db, "ok") {
		t.Errorf("database line %q; want ok", db)
	}

	for _, s := range []string{sl.BotToken(), sl.AppToken(), zm.ClientSecret(), base64.StdEncoding.EncodeToString([]byte(key))} {
		if strings.Contains(out, s) {
			t.Errorf("check printed a secret: %s", fmt.Sprintf("%.8s…", s))
		}
	}
}

// cxClock is a settable clock for the app or the fake Zoom.
type cxClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *cxClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cxClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cxNothingStored checks, with the app stopped, that the workspace has no
// Zoom connection in the database.
func cxNothingStored(w *world) {
	w.t.Helper()
	st, closeStore := w.openStore()
	defer closeStore()
	if c, err := st.ZoomConnection(w.t.Context(), incident.TeamID(w.slack.TeamID())); !errors.Is(err, incident.ErrZoomNotConnected) {
		w.t.Errorf("stored connection: account %q, %v; want none", c.AccountID, err)
	}
}

// TestCxCodeExchangeRefused: Zoom refuses the code at the exchange (it
// expired at Zoom: codes live 5 minutes, the state 10): the browser gets a
// clear error page saying what to do, nothing is stored, nobody is told
// Zoom is connected, and neither the code nor the state is logged.
func TestCxCodeExchangeRefused(t *testing.T) {
	t.Parallel()
	zclock := &cxClock{now: time.Now()}
	w := newWorld(t, cxInstall, func(_ *config.Config, zo *fakezoom.Options) { zo.Now = zclock.Now })

	g := cxAllow(w, cxAuthorizeLink(w, alice), "alice@example.com")
	zclock.Advance(6 * time.Minute) // at Zoom only: the app's state is still valid
	code, page := cxCallback(w, g.redirect)
	if code != http.StatusBadRequest || !strings.Contains(page, "Zoom did not accept the authorization") || !strings.Contains(page, "/incident zoom connect") {
		t.Errorf("refused exchange: %d\n%s\nwant 400, a clear refusal and how to start again", code, page)
	}
	if n := w.zoom.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("authorization_code token requests = %d; want 1", n)
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") {
		t.Errorf("status after a refused exchange:\n%s\nwant not connected", saw)
	}
	if dms := cxDMs(w, alice); strings.Contains(dms, "Zoom is connected") {
		t.Errorf("alice was told Zoom is connected:\n%s", dms)
	}
	w.stop()
	cxNothingStored(w)
	if found := cxSecretsIn(w.logs.String(), map[string]string{"code": g.code, "state": g.state, "client secret": cxClientSecret}); len(found) > 0 {
		t.Errorf("logs contain the %v", found)
	}
}

// TestCxExpiredState: an Authorize link is good for ten minutes by the
// app's clock (SPEC §6): just inside, it connects; just past, the redirect
// gets a clear error page and the code never reaches Zoom's token
// endpoint.
func TestCxExpiredState(t *testing.T) {
	t.Parallel()
	w := newWorld(t, cxInstall)
	clk := &cxClock{now: time.Now()}
	w.stop()
	w.start(withClock(clk.Now))

	late := cxAllow(w, cxAuthorizeLink(w, alice), "alice@example.com")
	clk.Advance(10*time.Minute + time.Second)
	code, page := cxCallback(w, late.redirect)
	if code != http.StatusBadRequest || !strings.Contains(page, "invalid, expired or already used") || !strings.Contains(page, "/incident zoom connect") {
		t.Errorf("expired state: %d\n%s\nwant 400, refused and how to start again", code, page)
	}
	if n := w.zoom.TokenRequests("authorization_code"); n != 0 {
		t.Errorf("authorization_code token requests = %d after an expired state; want 0", n)
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") {
		t.Errorf("status after an expired state:\n%s\nwant not connected", saw)
	}

	inTime := cxAllow(w, cxAuthorizeLink(w, alice), "alice@example.com")
	clk.Advance(10*time.Minute - time.Second)
	if code, page := cxCallback(w, inTime.redirect); code != http.StatusOK || !strings.Contains(page, "Zoom is connected to your Slack workspace") {
		t.Errorf("state used just in time: %d\n%s\nwant 200 connected", code, page)
	}
}

// TestCxAccountOfAnotherWorkspace: a Zoom account already connected to
// another Slack workspace is refused here with a clear page; this
// workspace stores nothing and the other keeps its connection (SPEC §6).
func TestCxAccountOfAnotherWorkspace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, cxInstall)
	const other = incident.TeamID("T0OTHERWS")
	w.stop()
	func() {
		st, err := store.Open(w.cfg.DBPath, store.Options{Key: []byte(w.cfg.EncryptionKey.Reveal()), Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		}()
		if err := st.SaveZoomConnection(t.Context(), incident.ZoomConnection{Team: other, AccountID: w.zoom.AccountID(),
			ConnectedBy: "UOTHER", AccessToken: "other-access", RefreshToken: "other-refresh"}); err != nil {
			t.Fatal(err)
		}
	}()
	w.start()

	g := cxAllow(w, cxAuthorizeLink(w, alice), "alice@example.com")
	code, page := cxCallback(w, g.redirect)
	if code != http.StatusBadRequest || !strings.Contains(page, "already connected to another Slack workspace") || !strings.Contains(page, "/incident zoom disconnect") {
		t.Errorf("account of another workspace: %d\n%s\nwant 400 and that it is connected elsewhere, and how to free it", code, page)
	}
	if saw := cxAsk(w, alice, w.general, "zoom status", "Zoom:"); !strings.Contains(saw, "not connected") {
		t.Errorf("status after the refusal:\n%s\nwant not connected", saw)
	}
	if dms := cxDMs(w, alice); strings.Contains(dms, "Zoom is connected") {
		t.Errorf("alice was told Zoom is connected:\n%s", dms)
	}
	w.stop()
	cxNothingStored(w)
	st, err := store.Open(w.cfg.DBPath, store.Options{Key: []byte(w.cfg.EncryptionKey.Reveal()), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	if team, err := st.TeamForZoomAccount(t.Context(), w.zoom.AccountID()); err != nil || team != other {
		t.Errorf("the account belongs to %q, %v; want still %s", team, err, other)
	}
	if c, err := st.ZoomConnection(t.Context(), other); err != nil || c.RefreshToken != "other-refresh" {
		t.Errorf("the other workspace's connection: %v; want its tokens untouched", err)
	}
}
