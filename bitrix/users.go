package bitrix

import "context"

// User is a portal user (user.get).
type User struct {
	ID           FlexInt    `json:"ID"`
	Active       FlexBool   `json:"ACTIVE"`
	Name         FlexString `json:"NAME"`
	LastName     FlexString `json:"LAST_NAME"`
	Email        FlexString `json:"EMAIL"`
	WorkPosition FlexString `json:"WORK_POSITION"`
	Departments  []FlexInt  `json:"UF_DEPARTMENT"`
}

// Department is a company department (department.get).
type Department struct {
	ID     FlexInt    `json:"ID"`
	Name   FlexString `json:"NAME"`
	Sort   FlexInt    `json:"SORT"`
	Parent FlexInt    `json:"PARENT"`
	Head   FlexInt    `json:"UF_HEAD"`
}

// UserGet returns every user matching filter (e.g. {"ACTIVE": true,
// "UF_DEPARTMENT": 5}), paging through all pages.
func (c *Client) UserGet(ctx context.Context, filter map[string]any) ([]User, error) {
	p := map[string]any{}
	if len(filter) > 0 {
		p["FILTER"] = filter
	}
	return ListPages[User](ctx, c, "user.get", p)
}

// UserByID reads the user with ID id (user.get with ID, as the portal
// takes it: digits as text); found is false when the portal returns no
// such user.
func (c *Client) UserByID(ctx context.Context, id string) (u User, found bool, err error) {
	resp, err := c.Call(ctx, "user.get", map[string]any{"ID": id})
	if err != nil {
		return User{}, false, err
	}
	users, err := decodeList[User]("user.get", resp.Result)
	if err != nil || len(users) == 0 {
		return User{}, false, err
	}
	return users[0], true, nil
}

// DepartmentGet returns the departments matching filter (ID, PARENT,
// UF_HEAD...; nil for all), paging through all pages.
func (c *Client) DepartmentGet(ctx context.Context, filter map[string]any) ([]Department, error) {
	return ListPages[Department](ctx, c, "department.get", filter)
}

// DuplicateFindByComm finds CRM entities of entityType ("LEAD", "CONTACT",
// "COMPANY") with one of the values (at most 20) of communication type typ
// ("EMAIL" or "PHONE"); the answer maps entity type to IDs.
func (c *Client) DuplicateFindByComm(ctx context.Context, typ string, values []string, entityType string) (map[string][]int64, error) {
	var raw FlexMap
	if err := c.callInto(ctx, "crm.duplicate.findbycomm", map[string]any{
		"type": typ, "values": values, "entity_type": entityType,
	}, &raw); err != nil {
		return nil, err
	}
	out := make(map[string][]int64, len(raw))
	for k, v := range raw {
		ids, err := decodeList[FlexInt]("crm.duplicate.findbycomm", v)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[k] = append(out[k], int64(id))
		}
	}
	return out, nil
}

// UserCurrent returns the user the client acts as (user.current): the
// webhook's owner, or the user who installed or authorised the OAuth app.
func (c *Client) UserCurrent(ctx context.Context) (User, error) {
	resp, err := c.Call(ctx, "user.current", nil)
	if err != nil {
		return User{}, err
	}
	var u User
	if err := decodeResult("user.current", resp.Result, &u); err != nil {
		return User{}, err
	}
	return u, nil
}
