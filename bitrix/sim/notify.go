package sim

import (
	"strings"
	"time"
)

// Notification is an im.notify notification as the portal keeps it.
type Notification struct {
	ID      int
	UserID  int
	Message string
	Type    string // SYSTEM or USER
	Tag     string
	SubTag  string
	// ClientID is the CLIENT_ID sent with it ("" when none was).
	ClientID string
	At       time.Time
}

func (p *Portal) notifySystem(c *call) (outcome, *apiError) { return p.notify(c, "SYSTEM") }

func (p *Portal) notifyPersonal(c *call) (outcome, *apiError) { return p.notify(c, "USER") }

// notifyAny is im.notify: TYPE picks system or personal.
func (p *Portal) notifyAny(c *call) (outcome, *apiError) {
	t := strings.ToUpper(c.params.str("TYPE", "type"))
	if t != "SYSTEM" {
		t = "USER"
	}
	return p.notify(c, t)
}

func (p *Portal) notify(c *call, typ string) (outcome, *apiError) {
	user, ok := c.params.num("USER_ID", "to", "TO", "user_id")
	if !ok || user <= 0 {
		return outcome{}, errf(400, "USER_ID_EMPTY", "Recipient ID not specified")
	}
	msg := c.params.str("MESSAGE", "message")
	if strings.TrimSpace(msg) == "" {
		return outcome{}, errf(400, "MESSAGE_EMPTY", "Message text not specified")
	}
	tag := c.params.str("TAG", "tag")
	if tag != "" && !c.app && c.params.str("CLIENT_ID", "client_id") == "" {
		// bitrix24-api.md §10: through a webhook a TAG needs CLIENT_ID. The
		// docs name no error for it; this code and text are an assumption
		// (in the style of USER_ID_EMPTY / MESSAGE_EMPTY), and nothing is
		// sent. An application's OAuth call has its own client ID.
		return outcome{}, errf(400, "CLIENT_ID_EMPTY", "Client ID not specified")
	}
	n := Notification{ID: p.st.next("notify"), UserID: user, Message: msg, Type: typ,
		Tag: tag, SubTag: c.params.str("SUB_TAG", "sub_tag"), ClientID: c.params.str("CLIENT_ID", "client_id"), At: p.clk.Now()}
	if n.Tag != "" {
		// A TAG is unique within the application: a new notification with
		// it removes the others, whoever they went to
		// (api-reference/chats/notifications/im-notify-personal-add.md,
		// TAG). The application is the CLIENT_ID (a webhook) or the app.
		kept := p.st.notes[:0]
		for _, old := range p.st.notes {
			if old.Tag != n.Tag || old.ClientID != n.ClientID {
				kept = append(kept, old)
			}
		}
		p.st.notes = kept
	}
	p.st.notes = append(p.st.notes, n)
	p.st.notesSent = append(p.st.notesSent, n)
	return plain(n.ID), nil
}
