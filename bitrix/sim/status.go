package sim

import (
	"regexp"
	"sort"
	"strings"
)

// statusEntry is a row of a CRM dictionary (STATUS, SOURCE...).
type statusEntry struct {
	id        int
	entity    string
	statusID  string
	name      string
	sort      int
	system    bool
	color     string
	semantics string // "", "S" or "F"
}

func (s *state) seedStatuses() {
	add := func(entity, code, name string, sort int, sem, color string) {
		s.statuses = append(s.statuses, &statusEntry{id: s.next("status"), entity: entity, statusID: code,
			name: name, sort: sort, system: true, semantics: sem, color: color})
	}
	add("STATUS", "NEW", "Не обработан", 10, "", "#2FC6F6")
	add("STATUS", "IN_PROCESS", "В работе", 20, "", "#55D0E0")
	add("STATUS", "PROCESSED", "Обработан", 30, "", "#FFA900")
	add("STATUS", "CONVERTED", "Качественный лид", 40, "S", "#7BD500")
	add("STATUS", "JUNK", "Некачественный лид", 50, "F", "#FF5752")
	for i, src := range [][2]string{{"CALL", "Звонок"}, {"EMAIL", "Электронная почта"}, {"WEB", "Веб-сайт"},
		{"ADVERTISING", "Реклама"}, {"PARTNER", "Существующий клиент"}, {"RECOMMENDATION", "По рекомендации"},
		{"TRADE_SHOW", "Выставка"}, {"WEBFORM", "CRM-форма"}, {"CALLBACK", "Обратный звонок"},
		{"RC_GENERATOR", "Генератор продаж"}, {"STORE", "Интернет-магазин"}, {"OTHER", "Другое"}} {
		add("SOURCE", src[0], src[1], (i+1)*10, "", "")
	}
}

// semantic is STATUS_SEMANTIC_ID for a lead stage: P (process), S or F.
func (p *Portal) semantic(statusID string) string {
	for _, s := range p.st.statuses {
		if s.entity == "STATUS" && s.statusID == statusID && s.semantics != "" {
			return s.semantics
		}
	}
	return "P"
}

func (s *statusEntry) row() map[string]any {
	var sem any
	if s.semantics != "" {
		sem = s.semantics
	}
	extra := map[string]any{"SEMANTICS": map[string]string{"": "process", "S": "success", "F": "failure"}[s.semantics], "COLOR": s.color}
	r := map[string]any{
		"ID": idStr(s.id), "ENTITY_ID": s.entity, "STATUS_ID": s.statusID, "NAME": s.name, "NAME_INIT": nil,
		"SORT": idStr(s.sort), "SYSTEM": yn(s.system), "CATEGORY_ID": nil, "COLOR": nilIfEmpty(s.color),
		"SEMANTICS": sem,
	}
	if s.entity == "STATUS" {
		r["EXTRA"] = extra
	}
	return r
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *statusEntry) field(name string) []string {
	switch name {
	case "ID":
		return []string{idStr(s.id)}
	case "ENTITY_ID":
		return []string{s.entity}
	case "STATUS_ID":
		return []string{s.statusID}
	case "NAME":
		return []string{s.name}
	case "SORT":
		return []string{idStr(s.sort)}
	case "SYSTEM":
		return []string{yn(s.system)}
	case "SEMANTICS":
		return []string{s.semantics}
	}
	return nil
}

func (p *Portal) statusByID(id int) *statusEntry {
	for _, s := range p.st.statuses {
		if s.id == id {
			return s
		}
	}
	return nil
}

// statusList is crm.status.list {order, filter, start}: pages of 50 with
// next (api-reference/crm/status/crm-status-list.md: "returns a single page
// (max 50 records)"), ordered by SORT unless told otherwise.
func (p *Portal) statusList(c *call) (outcome, *apiError) {
	q := parseList(c.params)
	if len(q.order) == 0 {
		q.order = []orderKey{{field: "SORT"}}
	}
	ids := make([]int, 0, len(p.st.statuses))
	for _, s := range p.st.statuses {
		ids = append(ids, s.id)
	}
	sort.Ints(ids)
	page, next, total := q.run(ids, func(id int, f string) []string { return p.statusByID(id).field(f) })
	rows := make([]any, 0, len(page))
	for _, id := range page {
		rows = append(rows, p.statusByID(id).row())
	}
	return outcome{result: rows, list: true, next: next, total: total}, nil
}

func (p *Portal) statusEntityItems(c *call) (outcome, *apiError) {
	entity := c.params.str("entityId", "ENTITY_ID", "entity_id")
	if entity == "" {
		return outcome{}, errf(400, "ERROR_CORE", "The parameter entityId is not defined or invalid.")
	}
	var list []*statusEntry
	for _, s := range p.st.statuses {
		if s.entity == entity {
			list = append(list, s)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].sort < list[j].sort })
	rows := make([]any, 0, len(list))
	for _, s := range list {
		rows = append(rows, map[string]any{"NAME": s.name, "SORT": s.sort, "STATUS_ID": s.statusID})
	}
	return plain(rows), nil
}

var statusCode = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (p *Portal) statusAdd(c *call) (outcome, *apiError) {
	if !p.st.admin {
		return outcome{}, errAccessDenied
	}
	f := upperKeys(c.params.obj("fields", "FIELDS"))
	entity, code, name := str(f["ENTITY_ID"]), str(f["STATUS_ID"]), str(f["NAME"])
	if entity == "" || code == "" || name == "" {
		return outcome{}, errf(400, "ERROR_CORE", "Required fields: ENTITY_ID, STATUS_ID, NAME.")
	}
	limit := 50
	if entity == "STATUS" || strings.HasPrefix(entity, "DEAL_STAGE") {
		limit = 21
	}
	if len(code) > limit || !statusCode.MatchString(code) {
		return outcome{}, errf(400, "ERROR_CORE", "STATUS_ID is too long or has invalid characters.")
	}
	for _, s := range p.st.statuses {
		if s.entity == entity && s.statusID == code {
			return outcome{}, errf(400, "ERROR_CORE", "Status with the same STATUS_ID already exists.")
		}
	}
	e := &statusEntry{id: p.st.next("status"), entity: entity, statusID: code, name: name, sort: 10,
		color: str(f["COLOR"])}
	if n, ok := toInt(f["SORT"]); ok {
		e.sort = n
	}
	switch strings.ToUpper(str(f["SEMANTICS"])) {
	case "S", "SUCCESS":
		e.semantics = "S"
	case "F", "FAILURE":
		e.semantics = "F"
	}
	p.st.statuses = append(p.st.statuses, e)
	return plain(e.id), nil
}

func (p *Portal) statusEntryByParam(c *call) (*statusEntry, *apiError) {
	id, ok := c.params.num("id", "ID")
	if !ok || id <= 0 {
		return nil, errBadID
	}
	s := p.statusByID(id)
	if s == nil {
		return nil, errNotFound
	}
	return s, nil
}

func (p *Portal) statusUpdate(c *call) (outcome, *apiError) {
	if !p.st.admin {
		return outcome{}, errAccessDenied
	}
	s, e := p.statusEntryByParam(c)
	if e != nil {
		return outcome{}, e
	}
	f := upperKeys(c.params.obj("fields", "FIELDS"))
	if v := str(f["NAME"]); v != "" {
		s.name = v
	}
	if n, ok := toInt(f["SORT"]); ok {
		s.sort = n
	}
	if v, ok := f["COLOR"]; ok {
		s.color = str(v)
	}
	return plain(true), nil
}

func (p *Portal) statusDelete(c *call) (outcome, *apiError) {
	if !p.st.admin {
		return outcome{}, errAccessDenied
	}
	s, e := p.statusEntryByParam(c)
	if e != nil {
		return outcome{}, e
	}
	if s.system {
		return outcome{}, errf(400, "ERROR_CORE", "Can't delete system status")
	}
	for i, x := range p.st.statuses {
		if x == s {
			p.st.statuses = append(p.st.statuses[:i], p.st.statuses[i+1:]...)
			break
		}
	}
	return plain(true), nil
}

func (p *Portal) statusGet(c *call) (outcome, *apiError) {
	s, e := p.statusEntryByParam(c)
	if e != nil {
		return outcome{}, e
	}
	return plain(s.row()), nil
}
