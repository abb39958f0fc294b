// Package rating lets customers rate each staff answer with the choices the
// rules file names (labels and scores). Every answer mail ends with the
// choices (Block): with http.public_base_url each is a signed link
// (ticket, answer, choice, expiry) to the rating page, whose GET only shows
// the choice preselected with an optional comment and a button, and whose
// POST records it; without a public URL the customer replies with the label
// or its number on the first line. A rating goes to the ticket's history,
// the lead's UF_CRM_B24D_RATING field and a timeline comment naming the
// answer; a low rating runs the rules' actions once per answer.
package rating
