package outbound

import (
	"strings"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
)

// automaticLocals are local parts of addresses no person reads.
var automaticLocals = []string{
	"mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply",
	"do_not_reply", "no_reply", "bounce", "bounces", "auto-reply", "autoreply",
}

// Automatic reports whether addr belongs to a machine (mailer-daemon,
// postmaster, no-reply and the like, also with a +tag or a prefix such as
// "noreply-billing"): b24desk never sends to such an address.
func Automatic(addr string) bool {
	local, _, ok := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !ok || local == "" {
		return true // not an address at all: nobody to write to
	}
	local, _, _ = strings.Cut(local, "+")
	for _, a := range automaticLocals {
		if local == a || strings.HasPrefix(local, a+"-") || strings.HasPrefix(local, a+".") || strings.HasPrefix(local, a+"_") {
			return true
		}
	}
	return false
}

// participants returns the people of a customer's mail to copy on an
// answer: its To and Cc without our mailboxes, the requester and
// automatic addresses, each once.
func participants(msg *mimeparse.Message, requester string, ours func(string) bool) []Address {
	seen := map[string]bool{strings.ToLower(requester): true}
	var out []Address
	for _, list := range [][]mimeparse.Address{msg.To, msg.Cc} {
		for _, a := range list {
			key := strings.ToLower(a.Addr)
			if seen[key] || ours(a.Addr) || Automatic(a.Addr) {
				continue
			}
			seen[key] = true
			out = append(out, Address{Name: a.Name, Address: a.Addr})
		}
	}
	return out
}
