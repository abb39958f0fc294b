package sim

import (
	"strings"
	"time"
)

// Comment is a timeline comment on a lead.
type Comment struct {
	ID       int
	LeadID   int
	AuthorID int
	Text     string
	FileIDs  []int
	Created  time.Time
}

func (p *Portal) commentAdd(c *call) (outcome, *apiError) {
	raw, ok := c.params["fields"] // lowercase only, as the portal
	if !ok {
		return outcome{}, errRequired("fields")
	}
	f := upperKeys(asObj(raw))
	if t := strings.ToLower(str(f["ENTITY_TYPE"])); t != "lead" {
		return outcome{}, errf(400, "OWNER_NOT_FOUND", "Owner element not found")
	}
	id, ok := toInt(f["ENTITY_ID"])
	if !ok || p.st.leads[id] == nil {
		return outcome{}, errf(400, "OWNER_NOT_FOUND", "Owner element not found")
	}
	text := str(f["COMMENT"])
	if strings.TrimSpace(text) == "" {
		return outcome{}, errRequired("COMMENT")
	}
	cm := &Comment{ID: p.st.next("comment"), LeadID: id, AuthorID: c.user, Text: text, Created: p.clk.Now()}
	if a, ok := toInt(f["AUTHOR_ID"]); ok && a > 0 {
		cm.AuthorID = a
	}
	for _, e := range asList(f["FILES"]) {
		if file := p.newFile(e); file != nil {
			cm.FileIDs = append(cm.FileIDs, file.ID)
		}
	}
	p.st.comments = append(p.st.comments, cm)
	return plain(cm.ID), nil
}

func (p *Portal) commentRow(cm *Comment) map[string]any {
	files := map[string]any{}
	for _, id := range cm.FileIDs {
		if f := p.st.files[id]; f != nil {
			files[idStr(id)] = map[string]any{"id": id, "name": f.Name, "size": len(f.Data)}
		}
	}
	var fv any = files
	if len(files) == 0 {
		fv = []any{}
	}
	return map[string]any{
		"ID": idStr(cm.ID), "CREATED": p.fmtTime(cm.Created), "ENTITY_ID": idStr(cm.LeadID), "ENTITY_TYPE": "lead",
		"AUTHOR_ID": idStr(cm.AuthorID), "COMMENT": cm.Text, "FILES": fv,
	}
}

func (p *Portal) commentList(c *call) (outcome, *apiError) {
	q := parseList(c.params)
	byID := map[int]*Comment{}
	ids := make([]int, 0, len(p.st.comments))
	for _, cm := range p.st.comments {
		byID[cm.ID] = cm
		ids = append(ids, cm.ID)
	}
	get := func(id int, field string) []string {
		if field == "ENTITY_TYPE" {
			return []string{"lead"}
		}
		return []string{str(p.commentRow(byID[id])[field])}
	}
	page, next, total := q.run(ids, get)
	rows := make([]any, 0, len(page))
	for _, id := range page {
		rows = append(rows, p.commentRow(byID[id]))
	}
	return outcome{result: rows, list: true, next: next, total: total}, nil
}
