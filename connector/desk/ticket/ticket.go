package ticket

import (
	"encoding/json"
	"time"
)

// Ticket is a lead b24desk manages, with its SLA times. Zero times mean
// "not set". NextDueAt is the earliest deadline (or warning point) the SLA
// tick must look at; the tick reads only tickets whose NextDueAt has come.
type Ticket struct {
	LeadID    int64
	OriginID  string // ORIGIN_ID the lead was created with; lead:ID for an adopted intake lead; "" for hand-made leads
	Type      string
	Status    string
	Assignee  int64
	Tier      string
	Priority  string
	Policy    string
	Requester string // requester e-mail address
	CreatedAt time.Time

	FirstResponseDue, FirstResponseMet time.Time
	NextResponseDue, NextResponseMet   time.Time
	ResolutionDue, ResolutionMet       time.Time
	PausedSince                        time.Time
	PausedTotal                        time.Duration // whole seconds are kept

	NextDueAt      time.Time
	SLAState       string
	LastDateModify time.Time       // last DATE_MODIFY seen from the portal
	LastWritten    json.RawMessage // fields b24desk last wrote (echo detection)
	ClosedAt       time.Time
	Deleted        bool
	UpdatedAt      time.Time
}
