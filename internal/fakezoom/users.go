package fakezoom

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// userJSON is the user object of GET /users/{userId} (USERS operationId
// user).
type userJSON struct {
	ID                 string   `json:"id"`
	FirstName          string   `json:"first_name"`
	LastName           string   `json:"last_name"`
	DisplayName        string   `json:"display_name"`
	Email              string   `json:"email"`
	Type               int      `json:"type"`
	RoleName           string   `json:"role_name"`
	PMI                int64    `json:"pmi"`
	UsePMI             bool     `json:"use_pmi"`
	PersonalMeetingURL string   `json:"personal_meeting_url"`
	Timezone           string   `json:"timezone"`
	Verified           int      `json:"verified"`
	Dept               string   `json:"dept"`
	CreatedAt          string   `json:"created_at"`
	UserCreatedAt      string   `json:"user_created_at"`
	LastLoginTime      string   `json:"last_login_time"`
	LastClientVersion  string   `json:"last_client_version"`
	PicURL             string   `json:"pic_url"`
	Language           string   `json:"language"`
	PhoneNumber        string   `json:"phone_number"`
	Status             string   `json:"status"`
	RoleID             string   `json:"role_id"`
	AccountID          string   `json:"account_id"`
	AccountNumber      int64    `json:"account_number"`
	Cluster            string   `json:"cluster"`
	LoginTypes         []int    `json:"login_types"`
	GroupIDs           []string `json:"group_ids"`
	IMGroupIDs         []string `json:"im_group_ids"`
	JID                string   `json:"jid"`
}

// handleUser serves GET /v2/users/{userId}: an ID, an email or "me".
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.popFaultLocked(OpUser); ok {
		f.writeAPI(w)
		return
	}
	g := s.authLocked(w, r)
	if g == nil {
		return
	}
	u, ok := s.targetLocked(w, g, userScopes(), r.PathValue("userId"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, userJSONOf(u))
}

func userJSONOf(u *User) userJSON {
	pmi, _ := strconv.ParseInt(deriveDigits("pmi", u.ID, 10), 10, 64) // ten digits always parse
	acct, _ := strconv.ParseInt(deriveDigits("account", u.AccountID, 8), 10, 64)
	roleID := map[string]string{"Owner": "0", "Admin": "1"}[u.Role]
	if roleID == "" {
		roleID = "2"
	}
	created := "2024-01-15T09:00:00Z"
	return userJSON{
		ID:                 u.ID,
		FirstName:          u.FirstName,
		LastName:           u.LastName,
		DisplayName:        strings.TrimSpace(u.FirstName + " " + u.LastName),
		Email:              u.Email,
		Type:               u.Type,
		RoleName:           u.Role,
		PMI:                pmi,
		PersonalMeetingURL: joinHost + "/j/" + strconv.FormatInt(pmi, 10),
		Timezone:           u.Timezone,
		Verified:           1,
		CreatedAt:          created,
		UserCreatedAt:      created,
		LastLoginTime:      created,
		LastClientVersion:  "6.2.0.46690(mac)",
		Language:           "en-US",
		Status:             u.Status,
		RoleID:             roleID,
		AccountID:          u.AccountID,
		AccountNumber:      acct,
		Cluster:            "us05",
		LoginTypes:         []int{100},
		GroupIDs:           []string{},
		IMGroupIDs:         []string{},
		JID:                strings.ToLower(u.ID) + "@xmpp.fakezoom.example",
	}
}

// listPage is the meetings list's body: the spec's pagination object and
// the meetings.
type listPage struct {
	NextPageToken string         `json:"next_page_token"`
	PageSize      int            `json:"page_size"`
	TotalRecords  int            `json:"total_records"`
	Meetings      []listItemJSON `json:"meetings"`
}

// handleList serves GET /v2/users/{userId}/meetings (operationId meetings):
// type, page_size (default 30, at most 300) and next_page_token. No
// meeting is ever live in the fake, so type=live is always empty.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.popFaultLocked(OpList); ok {
		f.writeAPI(w)
		return
	}
	g := s.authLocked(w, r)
	if g == nil {
		return
	}
	host, ok := s.targetLocked(w, g, listScopes(), r.PathValue("userId"))
	if !ok {
		return
	}
	q := r.URL.Query()
	kind := q.Get("type")
	if kind == "" {
		kind = "scheduled"
	}
	size := 30
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, apiError{Code: 300, Message: "Validation Failed.",
				Errors: []fieldError{{Field: "page_size", Message: "Invalid field."}}})
			return
		}
		size = min(n, 300)
	}
	if !slices.Contains([]string{"scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"}, kind) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 300, Message: "Validation Failed.",
			Errors: []fieldError{{Field: "type", Message: "Invalid field."}}})
		return
	}
	offset, ok := pageOffset(q.Get("next_page_token"))
	if !ok {
		writeAPIError(w, http.StatusBadRequest, 300, "The next page token is invalid or expired.")
		return
	}
	var all []listItemJSON
	for _, m := range s.meetings {
		if m.HostID == host.ID && m.AccountID == host.AccountID && listed(m, kind, s.now()) {
			all = append(all, listItemOf(m))
		}
	}
	page := listPage{PageSize: size, TotalRecords: len(all), Meetings: []listItemJSON{}}
	if offset < len(all) {
		end := min(offset+size, len(all))
		page.Meetings = all[offset:end]
		if end < len(all) {
			page.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte("fz:" + strconv.Itoa(end)))
		}
	}
	writeJSON(w, http.StatusOK, page)
}

// listed reports whether m belongs in a list of the given type at now.
func listed(m Meeting, kind string, now time.Time) bool {
	end := m.StartTime.Add(time.Duration(m.Duration) * time.Minute)
	switch kind {
	case "live":
		return false
	case "upcoming", "upcoming_meetings":
		return m.StartTime.IsZero() || end.After(now)
	case "previous_meetings":
		return !m.StartTime.IsZero() && !end.After(now)
	}
	return true
}

func pageOffset(token string) (int, bool) {
	if token == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(raw), "fz:") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "fz:"))
	return n, err == nil && n >= 0
}
