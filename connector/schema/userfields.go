package schema

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24desk/b24desk/bitrix"
)

// listUserFields reads every lead user field by name, page by page: the
// list answers at most 50 a page and a portal can have more lead fields,
// so b24desk's own may be on any page (bitrix24-api.md §6).
func (e *ensurer) listUserFields(ctx context.Context) (map[string]bitrix.UserField, error) {
	rows, err := e.c.LeadUserFieldList(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read the lead user fields: %w", err)
	}
	out := make(map[string]bitrix.UserField, len(rows))
	for _, f := range rows {
		out[string(f.FieldName)] = f
	}
	return out, nil
}

// fields creates the missing lead user fields and enumeration items, then
// records the fields and item IDs as crm.lead.fields shows them.
func (e *ensurer) fields(ctx context.Context) error {
	have, err := e.listUserFields(ctx)
	if err != nil {
		return err
	}
	wrote := false
	for _, f := range e.leadFields() {
		pf, ok := have[f.Name]
		if !ok {
			if err := e.createField(ctx, f); err != nil {
				return err
			}
			wrote = wrote || !e.opts.DryRun
			continue
		}
		if string(pf.UserTypeID) != f.Type {
			e.rep.add(VerbProblem, "field %s exists with type %s, b24desk needs %s: delete it in the portal (CRM settings → Custom fields → Leads) and run setup again",
				f.Name, pf.UserTypeID, f.Type)
			continue
		}
		missing := missingItems(f, pf)
		if len(missing) == 0 {
			e.rep.add(VerbExists, "field %s (%s)", f.Name, f.Type)
			continue
		}
		if err := e.addItems(ctx, f, pf, missing); err != nil {
			return err
		}
		wrote = wrote || !e.opts.DryRun
	}
	if wrote {
		if have, err = e.listUserFields(ctx); err != nil {
			return err
		}
	}
	return e.record(ctx, have)
}

func (e *ensurer) createField(ctx context.Context, f Field) error {
	what := fmt.Sprintf("field %s (%s) «%s»%s", f.Name, f.Type, f.Label, itemsText(f.Items))
	if e.opts.DryRun {
		e.rep.add(VerbWouldCreate, "%s", what)
		return nil
	}
	fields := map[string]any{
		"FIELD_NAME":   strings.TrimPrefix(f.Name, "UF_CRM_"),
		"USER_TYPE_ID": f.Type,
		"XML_ID":       f.Name,
		"LABEL":        f.Label,
		"MULTIPLE":     yn(f.Multiple),
		"MANDATORY":    "N",
	}
	if f.MultiLine {
		fields["SETTINGS"] = map[string]any{"ROWS": 5}
	}
	if f.Type == TypeEnumeration && len(f.Items) > 0 {
		fields["LIST"] = itemRows(f.Items, 0)
	}
	if _, err := e.c.LeadUserFieldAdd(ctx, fields); err != nil {
		if !errors.Is(err, bitrix.ErrOutcomeUnknown) {
			return fmt.Errorf("create field %s: %w", f.Name, err)
		}
		// The add may have happened: the next list shows it; a duplicate
		// add would fail on the name, so nothing is doubled.
		have, lerr := e.listUserFields(ctx)
		if _, ok := have[f.Name]; lerr != nil || !ok {
			return fmt.Errorf("create field %s: %w", f.Name, err)
		}
	}
	e.rep.add(VerbCreated, "%s", what)
	return nil
}

func (e *ensurer) addItems(ctx context.Context, f Field, pf bitrix.UserField, missing []Item) error {
	what := fmt.Sprintf("field %s items%s", f.Name, itemsText(missing))
	if e.opts.DryRun {
		e.rep.add(VerbWouldUpdate, "%s", what)
		return nil
	}
	err := e.c.LeadUserFieldUpdate(ctx, int64(pf.ID), map[string]any{"LIST": itemRows(missing, len(pf.List))})
	if err != nil {
		return fmt.Errorf("add items to field %s: %w", f.Name, err)
	}
	e.rep.add(VerbUpdated, "%s", what)
	return nil
}

// missingItems lists f's items the portal field lacks (matched by XML_ID,
// or by label for items an admin made by hand).
func missingItems(f Field, pf bitrix.UserField) []Item {
	var out []Item
	for _, it := range f.Items {
		if _, ok := findItem(it, pf.List); !ok {
			out = append(out, it)
		}
	}
	return out
}

// findItem returns the ID of it in list: the item with its XML_ID, else
// one without an XML_ID labelled like it.
func findItem(it Item, list []bitrix.EnumItem) (string, bool) {
	for _, p := range list {
		if string(p.XMLID) == it.Key {
			return strconv.FormatInt(int64(p.ID), 10), true
		}
	}
	for _, p := range list {
		if string(p.XMLID) == "" && string(p.Value) == it.Label {
			return strconv.FormatInt(int64(p.ID), 10), true
		}
	}
	return "", false
}

func itemRows(items []Item, offset int) []any {
	rows := make([]any, 0, len(items))
	for i, it := range items {
		rows = append(rows, map[string]any{"VALUE": it.Label, "XML_ID": it.Key, "SORT": 10 * (offset + i + 1), "DEF": "N"})
	}
	return rows
}

func itemsText(items []Item) string {
	if len(items) == 0 {
		return ""
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.Key + "=«" + it.Label + "»"
	}
	return ": " + strings.Join(parts, ", ")
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// record puts into the map the fields crm.lead.fields shows (what
// crm.lead.update accepts) and their enumeration item IDs.
func (e *ensurer) record(ctx context.Context, have map[string]bitrix.UserField) error {
	described, err := e.c.LeadFields(ctx)
	if err != nil {
		return fmt.Errorf("read crm.lead.fields: %w", err)
	}
	for _, f := range e.leadFields() {
		info, ok := described[f.Name]
		if !ok {
			if _, listed := have[f.Name]; listed {
				e.rep.add(VerbProblem, "field %s exists but crm.lead.fields does not show it: check its rights in the portal", f.Name)
			}
			continue
		}
		if info.Type != f.Type {
			continue // reported as a problem above
		}
		e.m().fields[f.Name] = true
		if f.Type != TypeEnumeration {
			continue
		}
		valid := map[string]bool{}
		described := make([]bitrix.EnumItem, 0, len(info.Items))
		for _, it := range info.Items {
			valid[fmt.Sprint(int64(it.ID))] = true
			// Matched by label only (crm.lead.fields is not where XML_IDs are read).
			described = append(described, bitrix.EnumItem{ID: it.ID, Value: it.Value})
		}
		for _, it := range f.Items {
			id, ok := findItem(it, have[f.Name].List)
			if !ok || !valid[id] {
				// No XML_ID to go by: fall back to the label crm.lead.fields shows.
				id, ok = findItem(it, described)
			}
			if ok {
				e.m().setEnum(f.Name, it.Key, id)
			}
		}
	}
	return nil
}
