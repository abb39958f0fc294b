package rules

// State is what a lead stage means for a ticket.
type State string

// The ticket states.
const (
	// StateNew: the ticket has not been answered yet (clock running).
	StateNew State = "new"
	// StateOpen: a stage in none of the lists (clock running).
	StateOpen State = "open"
	// StateAnswered: first response given (clock running for resolution).
	StateAnswered State = "answered"
	// StateWaiting: waiting for the customer (SLA clock paused).
	StateWaiting State = "waiting"
	// StateClosed: resolved (resolution met).
	StateClosed State = "closed"
)

// Statuses maps lead stages (STATUS_ID) to ticket states.
type Statuses struct {
	New, Answered, Waiting, Closed []string
	// OnCustomerReply is the stage set when the customer writes while the
	// ticket is waiting ("" = leave the stage as it is).
	OnCustomerReply string
}

// StateOf returns the state a stage means; a stage in no list is open.
func (s Statuses) StateOf(statusID string) State {
	switch {
	case contains(s.Closed, statusID):
		return StateClosed
	case contains(s.Waiting, statusID):
		return StateWaiting
	case contains(s.Answered, statusID):
		return StateAnswered
	case contains(s.New, statusID):
		return StateNew
	}
	return StateOpen
}

// StateOf returns the state the rules give a lead stage.
func (r *Rules) StateOf(statusID string) State { return r.Statuses.StateOf(statusID) }

// MeetsFirstResponse reports whether entering the stage meets the first
// response target (an answered or closed stage).
func (s Statuses) MeetsFirstResponse(statusID string) bool {
	st := s.StateOf(statusID)
	return st == StateAnswered || st == StateClosed
}

// Paused reports whether the SLA clock is paused in the stage.
func (s Statuses) Paused(statusID string) bool { return s.StateOf(statusID) == StateWaiting }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
