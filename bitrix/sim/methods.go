package sim

// methods is the method table: every REST method the portal answers.
func (p *Portal) methods() map[string]method {
	read := func(fn handlerFunc, scope string) method { return method{fn: fn, scope: scope} }
	write := func(fn handlerFunc, scope string) method { return method{fn: fn, scope: scope, write: true} }
	app := func(fn handlerFunc, w bool) method { return method{fn: fn, write: w, appOnly: true} }
	return map[string]method{
		"batch": write(p.batch, ""),
		"scope": read(p.scope, ""),

		"crm.lead.add":    write(p.leadAdd, "crm"),
		"crm.lead.update": write(p.leadUpdate, "crm"),
		"crm.lead.get":    read(p.leadGet, "crm"),
		"crm.lead.list":   read(p.leadList, "crm"),
		"crm.lead.fields": read(p.leadFields, "crm"),
		"crm.lead.delete": write(p.leadDelete, "crm"),
		"crm.item.update": write(p.itemUpdate, "crm"),
		"crm.item.get":    read(p.itemGet, "crm"),

		"crm.status.list":         read(p.statusList, "crm"),
		"crm.status.get":          read(p.statusGet, "crm"),
		"crm.status.add":          write(p.statusAdd, "crm"),
		"crm.status.update":       write(p.statusUpdate, "crm"),
		"crm.status.delete":       write(p.statusDelete, "crm"),
		"crm.status.entity.items": read(p.statusEntityItems, "crm"),

		"crm.lead.userfield.add":    write(p.userFieldAdd, "crm"),
		"crm.lead.userfield.list":   read(p.userFieldList, "crm"),
		"crm.lead.userfield.get":    read(p.userFieldGet, "crm"),
		"crm.lead.userfield.update": write(p.userFieldUpdate, "crm"),
		"crm.lead.userfield.delete": write(p.userFieldDelete, "crm"),

		"crm.timeline.comment.add":  write(p.commentAdd, "crm"),
		"crm.timeline.comment.list": read(p.commentList, "crm"),

		"crm.activity.todo.add":                   write(p.todoAdd, "crm"),
		"crm.activity.todo.updatedeadline":        write(p.todoUpdateDeadline, "crm"),
		"crm.activity.todo.updateresponsibleuser": write(p.todoUpdateResponsible, "crm"),
		"crm.activity.update":                     write(p.activityUpdate, "crm"),
		"crm.activity.list":                       read(p.activityList, "crm"),

		"crm.settings.mode.get":    read(p.crmMode, "crm"),
		"crm.duplicate.findbycomm": read(p.duplicateFind, "crm"),

		"im.notify.system.add":   write(p.notifySystem, "im"),
		"im.notify.personal.add": write(p.notifyPersonal, "im"),
		"im.notify":              write(p.notifyAny, "im"),

		"user.get":       read(p.userGet, "user"),
		"user.search":    read(p.userSearch, "user"),
		"user.current":   read(p.userCurrent, ""),
		"user.admin":     read(p.userAdmin, ""),
		"department.get": read(p.departmentGet, "department"),

		"bizproc.workflow.template.list": read(p.templateList, "bizproc"),
		"bizproc.workflow.start":         write(p.workflowStart, "bizproc"),
		"bizproc.workflow.instances":     read(p.workflowInstances, "bizproc"),
		"bizproc.workflow.terminate":     write(p.workflowStop, "bizproc"),
		"bizproc.workflow.kill":          write(p.workflowStop, "bizproc"),

		"event.bind":          app(p.eventBind, true),
		"event.unbind":        app(p.eventUnbind, true),
		"event.get":           app(p.eventGet, false),
		"event.offline.get":   app(p.offlineGet, true),
		"event.offline.clear": app(p.offlineClear, true),
		"event.offline.error": app(p.offlineError, true),
	}
}
