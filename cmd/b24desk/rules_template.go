package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/mail/mimeparse"
	"github.com/b24desk/b24desk/connector/outbound"
	"github.com/b24desk/b24desk/rules"
)

// sampleTicket is the ticket number `rules test --template` renders with.
const sampleTicket = 12345

// renderTemplate prints a template as the customer would get it: with the
// mail's (or lead's) name, subject and the decided type and first-response
// due time when one was given, else sample values.
func renderTemplate(stdout, stderr io.Writer, r *rules.Rules, name string, in *rules.Input, d rules.Decision, when time.Time) int {
	tpl, ok := r.TemplateByName(name)
	if !ok {
		fmt.Fprintf(stderr, "b24desk rules test: no template %q (templates: %s)\n", name, orNone(strings.Join(r.TemplateNames(), ", ")))
		return exitUsage
	}
	tag := mimeparse.FormatTag(mimeparse.DefaultTagFormat, sampleTicket)
	customer := strings.TrimSpace(in.FromName)
	if customer == "" {
		customer = in.From
	}
	if customer == "" {
		customer = "Анна Петрова"
	}
	subject := "Не открывается карта"
	if strings.TrimSpace(in.Subject) != "" {
		subject = mimeparse.CleanSubject(in.Subject)
	}
	typeName := d.Type
	if t, ok := r.TypeByCode(d.Type); ok {
		typeName = t.Name
	}
	loc := time.Local
	if d.Policy != nil && d.Policy.Calendar != nil && d.Policy.Calendar.Location != nil {
		loc = d.Policy.Calendar.Location
	}
	var due time.Time
	for _, ts := range d.Schedule.Targets {
		if ts.Target == rules.FirstResponse {
			due = ts.Due
		}
	}
	vars := map[string]string{
		rules.VarTicket: fmt.Sprint(sampleTicket), rules.VarTag: tag, rules.VarCustomer: customer,
		rules.VarType: typeName, rules.VarSubject: subject, rules.VarDue: outbound.DueWords(due, when, loc),
		rules.VarStaff: "Иван Иванов", rules.VarTeam: "Служба поддержки",
	}
	s, text := tpl.Render(vars)
	if strings.TrimSpace(s) == "" {
		s = "Re: " + tag + " " + subject
	}
	fmt.Fprintf(stdout, "template: %s\nsubject: %s\n\n%s\n", name, s, strings.TrimRight(text, "\n"))
	return exitOK
}
