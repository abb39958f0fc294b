package rules

import "time"

// DefaultBodyLimit is how many bytes of a body conditions read unless the
// file's limits.body_bytes says otherwise.
const DefaultBodyLimit = 64 << 10

// MaxTypeCodeLen is the longest SOURCE code the portal accepts.
const MaxTypeCodeLen = 50

// validPriority reports whether p is one of the priority values: low,
// normal, high, critical.
func validPriority(p string) bool {
	switch p {
	case "low", "normal", "high", "critical":
		return true
	}
	return false
}

// Rules is a checked rules file. It is immutable after Parse and safe for
// concurrent use.
type Rules struct {
	// Version is the file format version (1).
	Version int
	// Types are the ticket types in file order.
	Types []Type
	// Statuses says how lead stages read as ticket states.
	Statuses Statuses
	// Pools by name.
	Pools map[string]*Pool
	// Away lists users who get no new tickets.
	Away []int
	// UnassignedUsers lists users whose assignment counts as nobody yet.
	UnassignedUsers []int
	// IntakeSources are lead sources other than mail (SOURCE_ID codes such
	// as WEBFORM, CALLBACK, an open channel) whose leads are adopted as
	// tickets: classified into a type, which becomes their SOURCE_ID.
	IntakeSources []string
	// Calendars by name.
	Calendars map[string]*Calendar
	// Tiers in file order; the first match wins.
	Tiers []Tier
	// Classify rules in file order.
	ClassifyRules []ClassifyRule
	// Route rules in file order; the first match wins.
	RouteRules []RouteRule
	// SLA policies in file order; the first match wins.
	SLA []*Policy
	// BodyLimit is how many bytes of a body conditions read.
	BodyLimit int
	// Templates are the canned answers and acknowledgements in file order.
	Templates []Template
	// Ratings are the customers' ratings of answers; nil: off.
	Ratings *Ratings
	// Spam says what a spam filter's score means and whether staff teach it.
	Spam Spam
}

// Type is a ticket type: an entry of the portal's SOURCE dictionary.
type Type struct {
	Code, Name, Level string
	// WorkflowTemplate is the business process template started for a new
	// ticket of this type, 0 for none.
	WorkflowTemplate int
}

// Pool is a named group of users tickets are routed to.
type Pool struct {
	Name string
	// Users are the pool's members in file order.
	Users []int
	// Department, when not 0, names a portal department whose members the
	// caller passes in RouteState.Departments.
	Department int
	// Strategy is round_robin, least_open or fixed.
	Strategy string
	// Fallback gets the ticket when no member is available.
	Fallback int
}

// Pool strategies.
const (
	RoundRobin = "round_robin"
	LeastOpen  = "least_open"
	Fixed      = "fixed"
)

// Tier is a customer support level chosen by a condition.
type Tier struct {
	Name string
	When *Cond
}

// ClassifyRule sets ticket fields when its condition matches.
type ClassifyRule struct {
	Name string
	When *Cond // nil matches everything
	// Set holds the fields it sets: type, priority, tier or UF_CRM_* names.
	Set      map[string]string
	Continue bool
}

// RouteRule assigns a ticket to a pool when its condition matches.
type RouteRule struct {
	Name string
	When *Cond
	// Assign is the pool name.
	Assign string
	// Observers are user IDs and pool:NAME references added as observers.
	Observers []string
}

// Target names an SLA target.
type Target string

// The SLA targets.
const (
	FirstResponse Target = "first_response"
	NextResponse  Target = "next_response"
	Resolution    Target = "resolution"
)

// allTargets lists the SLA targets in a stable order.
func allTargets() [3]Target { return [3]Target{FirstResponse, NextResponse, Resolution} }

// Duration is an SLA target length: business time on the policy's calendar,
// or a number of working days.
type Duration struct {
	Business    time.Duration
	WorkingDays int
}

// IsZero reports whether the duration is unset.
func (d Duration) IsZero() bool { return d.Business == 0 && d.WorkingDays == 0 }

// Policy is an SLA policy: targets on a calendar and their escalation ladders.
type Policy struct {
	Name     string
	When     *Cond
	Calendar *Calendar
	Targets  map[Target]Duration
	Ladders  map[Target][]Step
}

// Step is one rung of an escalation ladder.
type Step struct {
	// Percent of the target (e.g. 80), used when Offset is not set.
	Percent int
	// Offset from the deadline (e.g. -30m) when HasOffset.
	Offset    time.Duration
	HasOffset bool
	// At is the step's text as written (80%, -30m).
	At      string
	Actions Actions
}

// Actions are what an escalation step does.
type Actions struct {
	// Notify lists recipients: user IDs, "assignee" or "pool:NAME".
	Notify []string `json:"notify,omitempty"`
	// Set holds fields to set (priority, type, UF_CRM_*).
	Set map[string]string `json:"set,omitempty"`
	// Reassign names a pool to route the ticket to.
	Reassign string `json:"reassign,omitempty"`
	// Workflow is a business process template to start, 0 for none.
	Workflow int `json:"workflow,omitempty"`
}

// TypeByCode returns the type with the code.
func (r *Rules) TypeByCode(code string) (Type, bool) {
	for _, t := range r.Types {
		if t.Code == code {
			return t, true
		}
	}
	return Type{}, false
}

// IsIntakeSource reports whether a SOURCE_ID is one of the rules' intake
// sources (its leads are adopted as tickets).
func (r *Rules) IsIntakeSource(code string) bool {
	for _, s := range r.IntakeSources {
		if s == code {
			return true
		}
	}
	return false
}

// IsTicketSource reports whether a lead with this SOURCE_ID is a ticket
// or becomes one: a type or an intake source.
func (r *Rules) IsTicketSource(code string) bool {
	return r.IsTicketType(code) || r.IsIntakeSource(code)
}

// IsTicketType reports whether a SOURCE_ID is one of the rules' types.
func (r *Rules) IsTicketType(code string) bool {
	_, ok := r.TypeByCode(code)
	return ok
}
