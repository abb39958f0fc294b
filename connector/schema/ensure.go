package schema

import (
	"context"
	"errors"
	"fmt"

	"github.com/b24desk/b24desk/bitrix"
	"github.com/b24desk/b24desk/rules"
)

// Events modes (config.Events.Mode).
const (
	EventsWebhook = "webhook"
	EventsOffline = "offline"
	EventsPoll    = "poll"
)

// Options tune Ensure.
type Options struct {
	// DryRun reads the portal and reports what would change, writing nothing.
	DryRun bool
	// Canned are the names of the rules' canned answers: the items of
	// FieldCanned (empty until the rules file has templates).
	Canned []string
	// AppMode is true when the client is an OAuth application: only then can
	// setup bind events itself (event.bind).
	AppMode bool
	// EventsMode is the daemon's events mode (EventsWebhook, EventsOffline,
	// EventsPoll).
	EventsMode string
	// EventsURL is the public URL of the daemon's event handler, for an
	// outgoing webhook (webhook mode); may be empty.
	EventsURL string
}

// Ensure idempotently brings the portal to what b24desk needs for r: the
// SOURCE entries of the types, the lead user fields and their enumeration
// items, the lead stages the rules name; it checks the workflow templates
// the rules start and, in app mode, binds the events. A second run changes
// nothing. It returns an error only when the portal could not be read or a
// write failed; findings a human must fix are VerbProblem lines.
func Ensure(ctx context.Context, c *bitrix.Client, r *rules.Rules, opts Options) (*Report, error) {
	e := &ensurer{c: c, r: r, opts: opts, rep: &Report{DryRun: opts.DryRun, Map: newMap()}}
	steps := []func(context.Context) error{e.sources, e.fields, e.stages, e.workflows, e.events}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return e.rep, err
		}
	}
	return e.rep, nil
}

// ensurer carries one Ensure run.
type ensurer struct {
	c    *bitrix.Client
	r    *rules.Rules
	opts Options
	rep  *Report
}

func (e *ensurer) m() *Map { return e.rep.Map }

// sources makes a SOURCE entry for each rules type, with the rules' name.
func (e *ensurer) sources(ctx context.Context) error {
	list, err := e.c.StatusList(ctx, "SOURCE")
	if err != nil {
		return fmt.Errorf("read the SOURCE dictionary: %w", err)
	}
	byCode := map[string]bitrix.Status{}
	for _, s := range list {
		byCode[string(s.StatusID)] = s
		e.m().sources[string(s.StatusID)] = true
	}
	for i, t := range e.r.Types {
		s, ok := byCode[t.Code]
		switch {
		case ok && string(s.Name) == t.Name:
			e.rep.add(VerbExists, "SOURCE %s «%s»", t.Code, t.Name)
		case ok && e.opts.DryRun:
			e.rep.add(VerbWouldUpdate, "SOURCE %s name «%s» → «%s»", t.Code, s.Name, t.Name)
		case ok:
			if err := e.c.StatusUpdate(ctx, int64(s.ID), map[string]any{"NAME": t.Name}); err != nil {
				return fmt.Errorf("rename SOURCE %s: %w", t.Code, err)
			}
			e.rep.add(VerbUpdated, "SOURCE %s name «%s» → «%s»", t.Code, s.Name, t.Name)
		case e.opts.DryRun:
			e.rep.add(VerbWouldCreate, "SOURCE %s «%s»", t.Code, t.Name)
		default:
			err := e.addStatus(ctx, map[string]any{"ENTITY_ID": "SOURCE", "STATUS_ID": t.Code,
				"NAME": t.Name, "SORT": 1000 + 10*i})
			if err != nil {
				return fmt.Errorf("create SOURCE %s: %w", t.Code, err)
			}
			e.m().sources[t.Code] = true
			e.rep.add(VerbCreated, "SOURCE %s «%s»", t.Code, t.Name)
		}
	}
	return nil
}

// addStatus runs crm.status.add; when the outcome is unknown it looks the
// entry up instead of adding it twice.
func (e *ensurer) addStatus(ctx context.Context, fields map[string]any) error {
	_, err := e.c.StatusAdd(ctx, fields)
	if err == nil || !errors.Is(err, bitrix.ErrOutcomeUnknown) {
		return err
	}
	entity, code := fields["ENTITY_ID"].(string), fields["STATUS_ID"].(string)
	list, lerr := e.c.StatusList(ctx, entity)
	if lerr != nil {
		return err
	}
	for _, s := range list {
		if string(s.StatusID) == code {
			return nil
		}
	}
	return err
}
