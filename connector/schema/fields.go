package schema

// The lead user fields b24desk writes (DESIGN.md: the names are fixed).
const (
	FieldSLADue      = "UF_CRM_B24D_SLA_DUE"     // datetime: the next SLA deadline
	FieldSLAState    = "UF_CRM_B24D_SLA_STATE"   // enumeration: StateOK ... StateMet
	FieldPriority    = "UF_CRM_B24D_PRIORITY"    // enumeration: PriorityLow ... PriorityCritical
	FieldCriticality = "UF_CRM_B24D_CRITICALITY" // enumeration: CriticalityLow ... CriticalityCritical
	FieldComplexity  = "UF_CRM_B24D_COMPLEXITY"  // enumeration: ComplexitySimple ... ComplexityComplex
	FieldTier        = "UF_CRM_B24D_TIER"        // string: the customer's support tier
	FieldCategory    = "UF_CRM_B24D_CATEGORY"    // string: a free category
	FieldEffort      = "UF_CRM_B24D_EFFORT"      // double: effort in hours
	FieldExpected    = "UF_CRM_B24D_EXPECTED"    // date: expected resolution date
	FieldFiles       = "UF_CRM_B24D_FILES"       // file, multiple: the mail's attachments
	FieldReply       = "UF_CRM_B24D_REPLY"       // string, multi-line: a staff answer to send
	FieldCanned      = "UF_CRM_B24D_CANNED"      // enumeration: the rules' canned answers
	FieldRating      = "UF_CRM_B24D_RATING"      // enumeration: the latest rating of an answer (rules' ratings labels)
	FieldChannel     = "UF_CRM_B24D_CHANNEL"     // string: an adopted lead's original SOURCE_ID (rules' intake_sources)
	FieldSpamScore   = "UF_CRM_B24D_SPAM_SCORE"  // double: the spam filter's score of the first mail
)

// SLA states: the XML_IDs of FieldSLAState's items.
const (
	StateOK       = "ok"
	StateWarning  = "warning"
	StateBreached = "breached"
	StatePaused   = "paused"
	StateMet      = "met"
)

// Priorities: the XML_IDs of FieldPriority's items (the rules' priority values).
const (
	PriorityLow      = "low"
	PriorityNormal   = "normal"
	PriorityHigh     = "high"
	PriorityCritical = "critical"
)

// Criticalities: the XML_IDs of FieldCriticality's items.
const (
	CriticalityLow      = "low"
	CriticalityMedium   = "medium"
	CriticalityHigh     = "high"
	CriticalityCritical = "critical"
)

// Complexities: the XML_IDs of FieldComplexity's items.
const (
	ComplexitySimple  = "simple"
	ComplexityNormal  = "normal"
	ComplexityComplex = "complex"
)

// User field types of crm.lead.userfield.add.
const (
	TypeString      = "string"
	TypeDouble      = "double"
	TypeDate        = "date"
	TypeDatetime    = "datetime"
	TypeEnumeration = "enumeration"
	TypeFile        = "file"
)

// Item is one enumeration value: Key is its XML_ID (what b24desk code and
// the rules use), Label what staff see in the portal.
type Item struct {
	Key, Label string
}

// Field describes one lead user field b24desk needs.
type Field struct {
	Name      string // UF_CRM_B24D_*
	Type      string // Type* constant
	Label     string // Russian label shown in the portal
	Multiple  bool
	MultiLine bool   // a string field edited as a text area
	Items     []Item // enumeration items (FieldCanned's come from Options.Canned)
}

// Fields returns the fixed lead user fields in creation order; FieldCanned
// gets one item per canned answer name.
func Fields(canned []string) []Field {
	cannedItems := make([]Item, 0, len(canned))
	for _, c := range canned {
		cannedItems = append(cannedItems, Item{Key: c, Label: c})
	}
	return []Field{
		{Name: FieldSLADue, Type: TypeDatetime, Label: "Срок SLA"},
		{Name: FieldSLAState, Type: TypeEnumeration, Label: "Состояние SLA", Items: []Item{
			{StateOK, "В срок"}, {StateWarning, "Под угрозой"}, {StateBreached, "Нарушен"},
			{StatePaused, "Приостановлен"}, {StateMet, "Выполнен"},
		}},
		{Name: FieldPriority, Type: TypeEnumeration, Label: "Приоритет", Items: []Item{
			{PriorityLow, "Низкий"}, {PriorityNormal, "Обычный"}, {PriorityHigh, "Высокий"},
			{PriorityCritical, "Критический"},
		}},
		{Name: FieldCriticality, Type: TypeEnumeration, Label: "Критичность", Items: []Item{
			{CriticalityLow, "Низкая"}, {CriticalityMedium, "Средняя"}, {CriticalityHigh, "Высокая"},
			{CriticalityCritical, "Критическая"},
		}},
		{Name: FieldComplexity, Type: TypeEnumeration, Label: "Сложность", Items: []Item{
			{ComplexitySimple, "Простая"}, {ComplexityNormal, "Обычная"}, {ComplexityComplex, "Сложная"},
		}},
		{Name: FieldTier, Type: TypeString, Label: "Уровень поддержки клиента"},
		{Name: FieldCategory, Type: TypeString, Label: "Категория"},
		{Name: FieldEffort, Type: TypeDouble, Label: "Трудозатраты, ч"},
		{Name: FieldExpected, Type: TypeDate, Label: "Ожидаемая дата решения"},
		{Name: FieldFiles, Type: TypeFile, Label: "Вложения", Multiple: true},
		{Name: FieldReply, Type: TypeString, Label: "Ответ клиенту", MultiLine: true},
		{Name: FieldCanned, Type: TypeEnumeration, Label: "Шаблон ответа", Items: cannedItems},
		{Name: FieldSpamScore, Type: TypeDouble, Label: "Оценка спам-фильтра"},
	}
}

// fixedEnums are the enumerations whose items do not depend on the rules.
func fixedEnums() []Field {
	var out []Field
	for _, f := range Fields(nil) {
		if f.Type == TypeEnumeration && f.Name != FieldCanned {
			out = append(out, f)
		}
	}
	return out
}

// leadFields are the fields this run needs: the fixed ones, FieldChannel
// when the rules name intake sources and, when the rules turn ratings on,
// FieldRating with one item per label.
func (e *ensurer) leadFields() []Field {
	fs := Fields(e.opts.Canned)
	if e.r != nil && len(e.r.IntakeSources) > 0 {
		fs = append(fs, Field{Name: FieldChannel, Type: TypeString, Label: "Канал обращения"})
	}
	if e.r == nil || e.r.Ratings == nil {
		return fs
	}
	items := make([]Item, 0, len(e.r.Ratings.Choices))
	for _, c := range e.r.Ratings.Choices {
		items = append(items, Item{Key: c.Label, Label: c.Label})
	}
	return append(fs, Field{Name: FieldRating, Type: TypeEnumeration, Label: "Оценка ответа", Items: items})
}
