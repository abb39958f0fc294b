package sim

// fieldDef describes a standard lead field as crm.lead.fields reports it.
type fieldDef struct {
	name     string
	typ      string
	title    string
	readOnly bool
	multiple bool
}

// leadFieldDefs lists the standard lead fields in the portal's order.
func leadFieldDefs() []fieldDef {
	return []fieldDef{
		{name: "ID", typ: "integer", title: "ID", readOnly: true},
		{name: "TITLE", typ: "string", title: "Название лида"},
		{name: "HONORIFIC", typ: "crm_status", title: "Обращение"},
		{name: "NAME", typ: "string", title: "Имя"},
		{name: "SECOND_NAME", typ: "string", title: "Отчество"},
		{name: "LAST_NAME", typ: "string", title: "Фамилия"},
		{name: "BIRTHDATE", typ: "date", title: "Дата рождения"},
		{name: "COMPANY_TITLE", typ: "string", title: "Название компании"},
		{name: "SOURCE_ID", typ: "crm_status", title: "Источник"},
		{name: "SOURCE_DESCRIPTION", typ: "string", title: "Дополнительно об источнике"},
		{name: "STATUS_ID", typ: "crm_status", title: "Стадия"},
		{name: "STATUS_DESCRIPTION", typ: "string", title: "Дополнительно о стадии"},
		{name: "STATUS_SEMANTIC_ID", typ: "string", title: "Состояние статуса", readOnly: true},
		{name: "POST", typ: "string", title: "Должность"},
		{name: "ADDRESS", typ: "string", title: "Адрес"},
		{name: "CURRENCY_ID", typ: "crm_currency", title: "Валюта"},
		{name: "OPPORTUNITY", typ: "double", title: "Сумма"},
		{name: "IS_MANUAL_OPPORTUNITY", typ: "char", title: "IS_MANUAL_OPPORTUNITY"},
		{name: "OPENED", typ: "char", title: "Доступен для всех"},
		{name: "COMMENTS", typ: "string", title: "Комментарий"},
		{name: "HAS_PHONE", typ: "char", title: "Задан телефон", readOnly: true},
		{name: "HAS_EMAIL", typ: "char", title: "Задан e-mail", readOnly: true},
		{name: "HAS_IMOL", typ: "char", title: "Задана открытая линия", readOnly: true},
		{name: "ASSIGNED_BY_ID", typ: "user", title: "Ответственный"},
		{name: "CREATED_BY_ID", typ: "user", title: "Кем создан", readOnly: true},
		{name: "MODIFY_BY_ID", typ: "user", title: "Кем изменен", readOnly: true},
		{name: "MOVED_BY_ID", typ: "user", title: "Кем перемещен", readOnly: true},
		{name: "DATE_CREATE", typ: "datetime", title: "Дата создания", readOnly: true},
		{name: "DATE_MODIFY", typ: "datetime", title: "Дата изменения", readOnly: true},
		{name: "MOVED_TIME", typ: "datetime", title: "Дата перемещения", readOnly: true},
		{name: "COMPANY_ID", typ: "crm_company", title: "Компания"},
		{name: "CONTACT_ID", typ: "crm_contact", title: "Контакт"},
		{name: "IS_RETURN_CUSTOMER", typ: "char", title: "Повторный лид", readOnly: true},
		{name: "DATE_CLOSED", typ: "datetime", title: "Дата завершения", readOnly: true},
		{name: "ORIGINATOR_ID", typ: "string", title: "Внешний источник"},
		{name: "ORIGIN_ID", typ: "string", title: "Идентификатор элемента во внешнем источнике"},
		{name: "UTM_SOURCE", typ: "string", title: "Рекламная система"},
		{name: "UTM_MEDIUM", typ: "string", title: "Тип трафика"},
		{name: "UTM_CAMPAIGN", typ: "string", title: "Обозначение рекламной кампании"},
		{name: "UTM_CONTENT", typ: "string", title: "Содержание кампании"},
		{name: "UTM_TERM", typ: "string", title: "Условие поиска кампании"},
		{name: "LAST_ACTIVITY_TIME", typ: "datetime", title: "Последняя активность", readOnly: true},
		{name: "LAST_ACTIVITY_BY", typ: "user", title: "Автор последней активности", readOnly: true},
		{name: "PHONE", typ: "crm_multifield", title: "Телефон", multiple: true},
		{name: "EMAIL", typ: "crm_multifield", title: "E-mail", multiple: true},
		{name: "WEB", typ: "crm_multifield", title: "Сайт", multiple: true},
		{name: "IM", typ: "crm_multifield", title: "Мессенджер", multiple: true},
	}
}

// isMultifield reports whether name is one of the communication multifields.
func isMultifield(name string) bool {
	switch name {
	case "PHONE", "EMAIL", "WEB", "IM":
		return true
	}
	return false
}

// fieldIndex maps standard field names to their definitions.
func fieldIndex() map[string]fieldDef {
	m := map[string]fieldDef{}
	for _, d := range leadFieldDefs() {
		m[d.name] = d
	}
	return m
}
