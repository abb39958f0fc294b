package sim

import (
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
)

// userField is a lead user field (UF_CRM_*).
type userField struct {
	id       int
	name     string
	typ      string
	label    string
	xmlID    string
	sort     int
	multiple bool
	required bool
	items    []enumItem
}

// enumItem is one value of an enumeration user field.
type enumItem struct {
	id    int
	value string
	sort  int
	def   bool
	xmlID string
}

// File is a stored file of a file user field or a timeline comment.
type File struct {
	ID   int
	Name string
	Data []byte
}

var ufName = regexp.MustCompile(`^UF_CRM_[A-Z0-9_]+$`)

func (p *Portal) userField(name string) *userField {
	for _, uf := range p.st.userFields {
		if uf.name == name {
			return uf
		}
	}
	return nil
}

func (p *Portal) userFieldAdd(c *call) (outcome, *apiError) {
	f := upperKeys(c.params.obj("fields", "FIELDS"))
	name := strings.ToUpper(strings.TrimSpace(str(f["FIELD_NAME"])))
	typ := strings.TrimSpace(str(f["USER_TYPE_ID"]))
	if name == "" {
		return outcome{}, errf(400, "ERROR_CORE", "FIELD_NAME is not defined or invalid.")
	}
	if typ == "" {
		return outcome{}, errf(400, "ERROR_CORE", "USER_TYPE_ID is not defined or invalid.")
	}
	if !strings.HasPrefix(name, "UF_CRM_") {
		name = "UF_CRM_" + name
	}
	if len(name) > 50 || !ufName.MatchString(name) {
		return outcome{}, errf(400, "ERROR_CORE", "Invalid field name: "+name)
	}
	if p.userField(name) != nil {
		return outcome{}, errf(400, "ERROR_CORE", "A field with the same name already exists: "+name)
	}
	uf := &userField{id: p.st.next("uf"), name: name, typ: typ, multiple: truthy(f["MULTIPLE"]),
		required: truthy(f["MANDATORY"]), xmlID: str(f["XML_ID"]), sort: 100}
	if n, ok := toInt(f["SORT"]); ok {
		uf.sort = n
	}
	uf.label = labelOf(f)
	if typ == "enumeration" {
		p.updateItems(uf, f["LIST"])
	}
	p.st.userFields = append(p.st.userFields, uf)
	return plain(uf.id), nil
}

// labelOf reads LABEL or EDIT_FORM_LABEL (a string or a map by language).
func labelOf(f params) string {
	for _, k := range []string{"LABEL", "EDIT_FORM_LABEL", "LIST_COLUMN_LABEL"} {
		switch v := f[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case map[string]any:
			for _, lang := range []string{"ru", "en"} {
				if s := str(v[lang]); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// updateItems applies a LIST: rows with ID update (DEL=Y deletes), rows
// without ID are added.
func (p *Portal) updateItems(uf *userField, list any) {
	for _, e := range asList(list) {
		row := upperKeys(asObj(e))
		if id, ok := toInt(row["ID"]); ok {
			for i := range uf.items {
				if uf.items[i].id != id {
					continue
				}
				if truthy(row["DEL"]) {
					uf.items = append(uf.items[:i], uf.items[i+1:]...)
					break
				}
				if v := str(row["VALUE"]); v != "" {
					uf.items[i].value = v
				}
				if n, ok := toInt(row["SORT"]); ok {
					uf.items[i].sort = n
				}
				break
			}
			continue
		}
		v := str(row["VALUE"])
		if v == "" {
			continue
		}
		it := enumItem{id: p.st.next("enum"), value: v, sort: 500, def: truthy(row["DEF"]), xmlID: str(row["XML_ID"])}
		if n, ok := toInt(row["SORT"]); ok {
			it.sort = n
		}
		uf.items = append(uf.items, it)
	}
}

func (p *Portal) userFieldUpdate(c *call) (outcome, *apiError) {
	uf, e := p.userFieldByID(c)
	if e != nil {
		return outcome{}, e
	}
	f := upperKeys(c.params.obj("fields", "FIELDS"))
	if l := labelOf(f); l != "" {
		uf.label = l
	}
	if n, ok := toInt(f["SORT"]); ok {
		uf.sort = n
	}
	if _, ok := f["MANDATORY"]; ok {
		uf.required = truthy(f["MANDATORY"])
	}
	if uf.typ == "enumeration" {
		p.updateItems(uf, f["LIST"])
	}
	return plain(true), nil
}

func (p *Portal) userFieldByID(c *call) (*userField, *apiError) {
	id, ok := c.params.num("id", "ID")
	if !ok || id <= 0 {
		return nil, errBadID
	}
	for _, uf := range p.st.userFields {
		if uf.id == id {
			return uf, nil
		}
	}
	return nil, errNotFound
}

func (p *Portal) userFieldGet(c *call) (outcome, *apiError) {
	uf, e := p.userFieldByID(c)
	if e != nil {
		return outcome{}, e
	}
	return plain(uf.row()), nil
}

func (p *Portal) userFieldDelete(c *call) (outcome, *apiError) {
	uf, e := p.userFieldByID(c)
	if e != nil {
		return outcome{}, e
	}
	for i, x := range p.st.userFields {
		if x == uf {
			p.st.userFields = append(p.st.userFields[:i], p.st.userFields[i+1:]...)
			break
		}
	}
	for _, l := range p.st.leads {
		delete(l.uf, uf.name)
	}
	return plain(true), nil
}

// userFieldList is crm.lead.userfield.list {order, filter, start}: one page
// of at most 50 fields, next pointing at the following one
// (api-reference/crm/leads/userfield/crm-lead-userfield-list.md: "returns a
// single page (max 50 records)").
func (p *Portal) userFieldList(c *call) (outcome, *apiError) {
	q := parseList(c.params)
	ids := make([]int, 0, len(p.st.userFields))
	byID := map[int]*userField{}
	for _, uf := range p.st.userFields {
		ids = append(ids, uf.id)
		byID[uf.id] = uf
	}
	sort.Ints(ids)
	page, next, total := q.run(ids, func(id int, field string) []string { return []string{str(byID[id].row()[field])} })
	rows := make([]any, 0, len(page))
	for _, id := range page {
		rows = append(rows, byID[id].row())
	}
	return outcome{result: rows, list: true, next: next, total: total}, nil
}

// row is the userfield.list / userfield.get form.
func (uf *userField) row() map[string]any {
	r := map[string]any{
		"ID": idStr(uf.id), "ENTITY_ID": "CRM_LEAD", "FIELD_NAME": uf.name, "USER_TYPE_ID": uf.typ,
		"XML_ID": uf.xmlID, "SORT": idStr(uf.sort), "MULTIPLE": yn(uf.multiple), "MANDATORY": yn(uf.required),
		"SHOW_FILTER": "N", "SHOW_IN_LIST": "Y", "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N",
		"EDIT_FORM_LABEL": uf.label, "LIST_COLUMN_LABEL": uf.label, "LIST_FILTER_LABEL": uf.label,
		"SETTINGS": []any{},
	}
	if uf.typ == "enumeration" {
		r["LIST"] = uf.itemRows(true)
	}
	return r
}

func (uf *userField) itemRows(full bool) []any {
	out := make([]any, 0, len(uf.items))
	for _, it := range uf.items {
		m := map[string]any{"ID": idStr(it.id), "VALUE": it.value}
		if full {
			m["SORT"] = idStr(it.sort)
			m["DEF"] = yn(it.def)
			m["XML_ID"] = it.xmlID
		}
		out = append(out, m)
	}
	return out
}

// describe is the crm.lead.fields entry of a user field.
func (uf *userField) describe() map[string]any {
	d := map[string]any{
		"type": uf.typ, "isRequired": uf.required, "isReadOnly": false, "isImmutable": false,
		"isMultiple": uf.multiple, "isDynamic": true, "title": uf.name,
		"listLabel": uf.label, "formLabel": uf.label, "filterLabel": uf.label, "settings": []any{},
	}
	if uf.typ == "enumeration" {
		d["items"] = uf.itemRows(false)
	}
	return d
}

// setUserField writes a user field value; unknown fields and invalid
// enumeration IDs are ignored, as the portal does. replaceFiles is the
// crm.item.update rule: file IDs not re-sent are deleted.
func (p *Portal) setUserField(l *lead, name string, v any, replaceFiles bool) {
	uf := p.userField(name)
	if uf == nil {
		return
	}
	if uf.typ == "file" {
		p.setFiles(l, uf, v, replaceFiles)
		return
	}
	var vals []string
	for _, e := range asList(v) {
		s, ok := p.normalizeUF(uf, e)
		if ok && s != "" {
			vals = append(vals, s)
		}
	}
	switch {
	case len(vals) == 0:
		delete(l.uf, name)
	case uf.multiple:
		l.uf[name] = vals
	default:
		l.uf[name] = vals[0]
	}
}

func (p *Portal) normalizeUF(uf *userField, v any) (string, bool) {
	s := strings.TrimSpace(str(v))
	switch uf.typ {
	case "enumeration":
		id, ok := toInt(s)
		for _, it := range uf.items {
			if ok && it.id == id {
				return idStr(id), true
			}
		}
		return "", s == ""
	case "datetime":
		if t, ok := parseDate(s, p.loc); ok {
			return p.fmtTime(t), true
		}
		return "", s == ""
	case "date":
		if t, ok := parseDate(s, p.loc); ok {
			return t.Format("2006-01-02"), true
		}
		return "", s == ""
	case "boolean":
		return map[bool]string{true: "1", false: "0"}[truthy(v)], true
	}
	return str(v), true
}

// setFiles stores fileData entries as files. Entries naming an existing
// file ID keep it.
func (p *Portal) setFiles(l *lead, uf *userField, v any, replace bool) {
	var kept, added []int
	entries := asList(v)
	if m, ok := v.(map[string]any); ok { // a single {"fileData": [...]}
		if _, single := m["fileData"]; single {
			entries = []any{v}
		}
	}
	for _, e := range entries {
		if id, ok := p.fileEntry(e); ok {
			kept = append(kept, id)
		} else if f := p.newFile(e); f != nil {
			added = append(added, f.ID)
		}
	}
	old, _ := l.uf[uf.name].([]int)
	var ids []int
	switch {
	case !uf.multiple:
		ids = append(kept, added...)
		if len(ids) > 1 {
			ids = ids[len(ids)-1:]
		}
		if len(ids) == 0 && len(entries) > 0 && !replace {
			ids = old
		}
	case replace:
		ids = append(kept, added...)
	default:
		ids = append(append([]int(nil), old...), added...)
	}
	for _, id := range old {
		if !containsInt(ids, id) {
			delete(p.st.files, id)
		}
	}
	if len(ids) == 0 {
		delete(l.uf, uf.name)
		return
	}
	l.uf[uf.name] = ids
}

// fileEntry recognises a reference to an existing file: {"id": 5}, 5.
func (p *Portal) fileEntry(e any) (int, bool) {
	if m, ok := e.(map[string]any); ok {
		o := upperKeys(m)
		if _, has := o["FILEDATA"]; has {
			return 0, false
		}
		e = o["ID"]
	}
	if _, isList := e.([]any); isList {
		return 0, false
	}
	id, ok := toInt(e)
	if !ok || p.st.files[id] == nil {
		return 0, false
	}
	return id, true
}

// newFile stores {"fileData": [name, base64]} or [name, base64].
func (p *Portal) newFile(e any) *File {
	if m, ok := e.(map[string]any); ok {
		e = m["fileData"]
	}
	pair := asList(e)
	if len(pair) < 2 {
		return nil
	}
	name := str(pair[0])
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(str(pair[1])))
	if err != nil || name == "" {
		return nil
	}
	f := &File{ID: p.st.next("file"), Name: name, Data: data}
	p.st.files[f.ID] = f
	return f
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// renderUF is a user field value as crm.lead.get returns it.
func (p *Portal) renderUF(uf *userField, v any, leadID int) any {
	if uf.typ == "file" {
		ids, _ := v.([]int)
		out := make([]any, 0, len(ids))
		for _, id := range ids {
			url := "/bitrix/components/bitrix/crm.lead.show/show_file.php?ownerId=" + idStr(leadID) +
				"&fieldName=" + uf.name + "&fileId=" + idStr(id)
			out = append(out, map[string]any{"id": id, "showUrl": url, "downloadUrl": url + "&download=y"})
		}
		if !uf.multiple {
			if len(out) == 0 {
				return nil
			}
			return out[0]
		}
		return out
	}
	switch x := v.(type) {
	case string:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	if uf.multiple {
		return []any{}
	}
	return nil
}

// ufStrings is a user field value for filtering.
func ufStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []int:
		out := make([]string, len(x))
		for i, id := range x {
			out[i] = idStr(id)
		}
		return out
	}
	return nil
}
