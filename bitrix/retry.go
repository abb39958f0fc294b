package bitrix

import (
	"errors"
	"net"
	"strings"
	"syscall"
)

// idempotentWrites are writes that may be repeated after an unknown
// outcome: repeating them sets the same values again.
var idempotentWrites = map[string]bool{
	"crm.lead.update":                  true,
	"crm.item.update":                  true,
	"crm.status.update":                true,
	"crm.activity.todo.updatedeadline": true,
}

// readMethods are reads whose names do not end in a read suffix.
var readMethods = map[string]bool{
	"scope":                          true,
	"department.get":                 true,
	"crm.status.list":                true,
	"crm.status.entity.items":        true,
	"crm.settings.mode.get":          true,
	"user.admin":                     true,
	"event.get":                      true,
	"bizproc.workflow.template.list": true,
	"bizproc.workflow.instances":     true,
	"crm.duplicate.findbycomm":       true,
	"crm.timeline.comment.list":      true,
	"crm.activity.list":              true,
	"event.offline.get":              true,
	"methods":                        true,
	"method.get":                     true,
	"server.time":                    true,
	"app.info":                       true,
	"profile":                        true,
	"crm.lead.userfield.list":        true,
	"crm.enum.fields":                true,
	"user.current":                   true,
}

// idempotent reports whether method may be retried after a timeout, a 5xx
// or a network error: reads (*.get, *.list, *.fields, user.*, the names
// above) and the idempotent writes. Everything else (add, notify, timeline
// comment, to-do, start, delete...) fails with ErrOutcomeUnknown instead.
// event.offline.get is listed as a read although with clear=1 it consumes
// the queue; b24desk calls it with clear=0 and clears explicitly.
func idempotent(method string) bool {
	m := strings.ToLower(strings.TrimSuffix(method, ".json"))
	if readMethods[m] || idempotentWrites[m] {
		return true
	}
	if strings.HasPrefix(m, "user.") {
		return !strings.HasSuffix(m, ".add") && !strings.HasSuffix(m, ".update")
	}
	for _, suffix := range []string{".get", ".list", ".fields"} {
		if strings.HasSuffix(m, suffix) {
			return true
		}
	}
	return false
}

// isDialError reports whether err happened before the request was sent
// (connection refused, DNS failure): such a request was never executed.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
