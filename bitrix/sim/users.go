package sim

import (
	"strings"
)

// User is a portal employee.
type User struct {
	ID          int
	Name        string
	LastName    string
	Email       string
	Position    string
	Active      bool
	Departments []int
}

// Department is a node of the company structure.
type Department struct {
	ID     int
	Name   string
	Sort   int
	Parent int // 0 for the root
	Head   int // user ID, 0 for none
}

func (u User) row() map[string]any {
	deps := make([]any, 0, len(u.Departments))
	for _, d := range u.Departments {
		deps = append(deps, d)
	}
	return map[string]any{
		"ID": idStr(u.ID), "ACTIVE": u.Active, "NAME": u.Name, "LAST_NAME": u.LastName, "SECOND_NAME": "",
		"EMAIL": u.Email, "WORK_POSITION": u.Position, "UF_DEPARTMENT": deps, "USER_TYPE": "employee",
		"IS_ONLINE": "N", "TIME_ZONE": "", "PERSONAL_GENDER": "",
	}
}

func (u User) field(name string) []string {
	switch name {
	case "ID":
		return []string{idStr(u.ID)}
	case "ACTIVE":
		return []string{yn(u.Active)}
	case "NAME":
		return []string{u.Name}
	case "LAST_NAME":
		return []string{u.LastName}
	case "EMAIL":
		return []string{u.Email}
	case "WORK_POSITION":
		return []string{u.Position}
	case "UF_DEPARTMENT":
		out := make([]string, len(u.Departments))
		for i, d := range u.Departments {
			out[i] = idStr(d)
		}
		return out
	case "USER_TYPE":
		return []string{"employee"}
	}
	return nil
}

// userFilter reads FILTER, or the top-level fields when there is none.
func userFilter(prm params) []cond {
	f, ok := prm.get("FILTER", "filter")
	if !ok {
		top := params{}
		for k, v := range prm {
			switch strings.ToUpper(k) {
			case "SORT", "ORDER", "START", "ADMIN_MODE", "FIND":
			default:
				top[k] = v
			}
		}
		f = map[string]any(top)
	}
	conds := parseFilter(f)
	for i := range conds {
		if conds[i].field == "ACTIVE" {
			for j, v := range conds[i].values {
				conds[i].values[j] = yn(truthy(v) || v == "Y")
			}
		}
	}
	return conds
}

func (p *Portal) userByID(id int) (User, bool) {
	for _, u := range p.st.users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

func (p *Portal) usersList(c *call, find string) (outcome, *apiError) {
	q := listQuery{conds: userFilter(c.params)}
	if n, ok := c.params.num("start", "START"); ok && n > 0 {
		q.start = n
	}
	ids := make([]int, 0, len(p.st.users))
	for _, u := range p.st.users {
		ids = append(ids, u.ID)
	}
	get := func(id int, f string) []string { u, _ := p.userByID(id); return u.field(f) }
	var match []int
	for _, id := range ids {
		u, _ := p.userByID(id)
		if find != "" && !containsFold(u.Name+" "+u.LastName+" "+u.Email, find) {
			continue
		}
		if q.match(id, get) {
			match = append(match, id)
		}
	}
	page, next, total := q.slice(match, len(match))
	rows := make([]any, 0, len(page))
	for _, id := range page {
		u, _ := p.userByID(id)
		rows = append(rows, u.row())
	}
	return outcome{result: rows, list: true, next: next, total: total}, nil
}

func (p *Portal) userGet(c *call) (outcome, *apiError) { return p.usersList(c, "") }

func (p *Portal) userSearch(c *call) (outcome, *apiError) {
	return p.usersList(c, c.params.str("FIND", "find"))
}

func (p *Portal) userCurrent(c *call) (outcome, *apiError) {
	u, ok := p.userByID(c.user)
	if !ok {
		return outcome{}, errNotFound
	}
	return plain(u.row()), nil
}

func (p *Portal) userAdmin(c *call) (outcome, *apiError) { return plain(p.st.admin), nil }

func (d Department) row() map[string]any {
	r := map[string]any{"ID": idStr(d.ID), "NAME": d.Name, "SORT": d.Sort}
	if d.Parent > 0 {
		r["PARENT"] = idStr(d.Parent)
	}
	if d.Head > 0 {
		r["UF_HEAD"] = idStr(d.Head)
	}
	return r
}

func (p *Portal) departmentGet(c *call) (outcome, *apiError) {
	conds := parseFilter(map[string]any(c.params))
	rows := []any{}
	for _, d := range p.st.depts {
		r := d.row()
		ok := true
		for _, cd := range conds {
			switch cd.field {
			case "ID", "NAME", "PARENT", "UF_HEAD", "SORT":
				if !cd.match([]string{str(r[cd.field])}) {
					ok = false
				}
			}
		}
		if ok {
			rows = append(rows, r)
		}
	}
	return outcome{result: rows, list: true, next: -1, total: len(rows)}, nil
}
