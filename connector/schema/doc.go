// Package schema knows the portal schema b24desk needs: the fixed lead user
// fields (UF_CRM_B24D_*), their enumeration items, the SOURCE entries of the
// rules' ticket types and the lead stages the rules name.
//
// Ensure brings a portal to that schema idempotently (it is what
// `b24desk setup` runs) and returns a Report of what it did or, in a dry run,
// would do, with the resulting Map. Map.Save records the map in the state;
// Load reads it back for the daemon, which writes enumeration values by item
// ID (EnumID), reads them back (EnumValue) and refuses to start when the
// schema is missing (Present), since crm.lead.update silently ignores
// unknown fields.
package schema
