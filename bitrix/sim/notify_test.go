package sim

import (
	"encoding/json"
	"testing"
)

// TestNotifyTagNeedsClientID: through a webhook a notification with a TAG
// needs CLIENT_ID (bitrix24-api.md §10) and is refused without it, alone
// or in a batch; without a TAG, or through an application's OAuth token,
// it is not needed.
func TestNotifyTagNeedsClientID(t *testing.T) {
	tests := []struct {
		name   string
		method string
		params map[string]any
		oauth  bool
		code   string // "" = accepted
	}{
		{name: "tag without client", method: "im.notify.system.add", params: map[string]any{"USER_ID": 1, "MESSAGE": "m", "TAG": "t"}, code: "CLIENT_ID_EMPTY"},
		{name: "lowercase tag without client", method: "im.notify", params: map[string]any{"to": 1, "message": "m", "tag": "t"}, code: "CLIENT_ID_EMPTY"},
		{name: "personal tag without client", method: "im.notify.personal.add", params: map[string]any{"USER_ID": 1, "MESSAGE": "m", "TAG": "t"}, code: "CLIENT_ID_EMPTY"},
		{name: "tag with client", method: "im.notify.system.add", params: map[string]any{"USER_ID": 1, "MESSAGE": "m", "TAG": "t", "CLIENT_ID": "b24desk"}},
		{name: "no tag", method: "im.notify.system.add", params: map[string]any{"USER_ID": 1, "MESSAGE": "m"}},
		{name: "oauth tag without client", method: "im.notify.system.add", params: map[string]any{"USER_ID": 1, "MESSAGE": "m", "TAG": "t"}, oauth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv := testPortal(t, Options{})
			var a answer
			if tt.oauth {
				access, _ := p.IssueTokens(1)
				params := map[string]any{"auth": access}
				for k, v := range tt.params {
					params[k] = v
				}
				a = rawPost(t, srv.URL+"/rest/"+tt.method+".json", "application/json", mustJSON(t, params))
			} else {
				a = post(t, p, srv, tt.method, tt.params)
			}
			if tt.code != "" {
				mustErr(t, a, 400, tt.code, "")
				if n := p.Notifications(); len(n) != 0 {
					t.Fatalf("refused notification kept: %+v", n)
				}
				return
			}
			ok(t, a)
			if n := p.Notifications(); len(n) != 1 || n[0].ClientID != str(tt.params["CLIENT_ID"]) {
				t.Fatalf("notifications %+v", n)
			}
		})
	}
}

// TestNotifyTagNeedsClientIDInBatch: the rule holds for a webhook batch's
// commands too.
func TestNotifyTagNeedsClientIDInBatch(t *testing.T) {
	p, srv := testPortal(t, Options{})
	res := ok(t, post(t, p, srv, "batch", map[string]any{"halt": 0, "cmd": map[string]any{
		"bad":  "im.notify.system.add?USER_ID=1&MESSAGE=m&TAG=t",
		"good": "im.notify.system.add?USER_ID=1&MESSAGE=m&TAG=t&CLIENT_ID=b24desk",
	}})).(map[string]any)
	errs, _ := res["result_error"].(map[string]any)
	if errs["bad"] == nil || errs["good"] != nil {
		t.Fatalf("batch errors %v", res["result_error"])
	}
	if n := p.Notifications(); len(n) != 1 || n[0].ClientID != "b24desk" {
		t.Fatalf("notifications %+v", n)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNotifyTagScope: a TAG is unique within the application: a new
// notification with it removes the others, whoever they went to
// (api-reference/chats/notifications/im-notify-personal-add.md: "When
// adding a notification with an existing tag, other notifications will be
// removed"). The docs do not scope it by recipient, so the simulator does
// not either (the stricter reading). Another application's tag is its own.
func TestNotifyTagScope(t *testing.T) {
	p, srv := testPortal(t, Options{NoLimits: true})
	send := func(user int, tag, client string) {
		t.Helper()
		ok(t, post(t, p, srv, "im.notify.system.add", map[string]any{"USER_ID": user, "MESSAGE": "m", "TAG": tag, "CLIENT_ID": client}))
	}
	send(1, "t", "b24desk")
	send(2, "t", "b24desk") // replaces user 1's
	send(3, "t", "other")   // another application
	send(2, "u", "b24desk")
	got := map[string]int{}
	for _, n := range p.Notifications() {
		got[n.ClientID+"/"+n.Tag]++
		if n.ClientID == "b24desk" && n.Tag == "t" && n.UserID != 2 {
			t.Errorf("user %d's tagged notification kept after user 2 got the same tag", n.UserID)
		}
	}
	if got["b24desk/t"] != 1 || got["other/t"] != 1 || got["b24desk/u"] != 1 || len(p.Notifications()) != 3 {
		t.Fatalf("notifications %+v", p.Notifications())
	}
}
