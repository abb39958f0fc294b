package schema

import (
	"context"
	"fmt"
	"strings"
)

// LeadEvents are the portal events b24desk follows.
var leadEvents = []string{"ONCRMLEADADD", "ONCRMLEADUPDATE", "ONCRMLEADDELETE"}

// events binds the lead events in app mode, or says what the admin must do.
func (e *ensurer) events(ctx context.Context) error {
	switch {
	case e.opts.EventsMode == EventsPoll:
		e.rep.add(VerbExists, "no events to bind (events mode poll: b24desk reconciles by itself)")
		return nil
	case !e.opts.AppMode:
		url := e.opts.EventsURL
		if url == "" {
			url = "http.public_base_url + /bitrix/events"
		}
		if e.opts.EventsMode == EventsOffline {
			e.rep.add(VerbProblem, "events mode offline needs an OAuth application (portal.client_id): a webhook cannot bind offline events")
			return nil
		}
		e.rep.add(VerbManual, "in the portal create an outgoing webhook (Developer resources → Other → Outgoing webhook) with handler %s and events %s; put its application token into http.application_token",
			url, strings.Join(leadEvents, ", "))
		return nil
	case e.opts.EventsMode == EventsWebhook && e.opts.EventsURL == "":
		e.rep.add(VerbProblem, "events mode webhook in app mode needs http.public_base_url to bind the events")
		return nil
	}
	offline := e.opts.EventsMode == EventsOffline
	bound, err := e.c.EventGet(ctx)
	if err != nil {
		return fmt.Errorf("read the event bindings: %w", err)
	}
	for _, ev := range leadEvents {
		have := false
		for _, b := range bound {
			if !strings.EqualFold(string(b.Event), ev) {
				continue
			}
			isOffline := int(b.Offline) == 1 || string(b.EventType) == "offline"
			if isOffline == offline && (offline || string(b.Handler) == e.opts.EventsURL) {
				have = true
			}
		}
		kind := "offline"
		if !offline {
			kind = "to " + e.opts.EventsURL
		}
		switch {
		case have:
			e.rep.add(VerbExists, "event %s (%s)", ev, kind)
		case e.opts.DryRun:
			e.rep.add(VerbWouldBind, "event %s (%s)", ev, kind)
		default:
			if err := e.c.EventBind(ctx, ev, e.opts.EventsURL, offline); err != nil {
				return fmt.Errorf("bind event %s: %w", ev, err)
			}
			e.rep.add(VerbBound, "event %s (%s)", ev, kind)
		}
	}
	return nil
}
