package ticket

// Plan is the portal writes one transition of a ticket needs, decided
// without I/O: lead fields to write and a business process to start. The
// ticket engine queues them through the outbox in the transaction that
// stores the ticket; the SLA clock's update that follows every transition
// adds the SLA fields and the to-do. CustomerReplied, TakeIn and the
// engine's reclassification return one; opening a ticket from a mail
// returns an Opening (the lead does not exist yet); EnterStage (a stage a
// person set: answered, waiting, closed, reopened) returns none, as the
// lead has the stage already and nothing but the SLA clock's writes
// follows.
type Plan struct {
	// Fields are lead fields to write (values as sent: enumerations by
	// item ID), the write named Why in its dedupe key; nil: none.
	Fields map[string]string
	Why    string
	// Workflow is the template to start on the lead (0: none), the start
	// named WorkflowWhy.
	Workflow    int
	WorkflowWhy string
}
