package schema

import (
	"fmt"
	"strings"

	"github.com/b24desk/b24desk/rules"
)

// Covers returns nil when the recorded portal has a SOURCE entry for every
// type of r and every lead stage r names; otherwise an error wrapping
// ErrMissing names them (the rules changed since the last setup).
func (m *Map) Covers(r *rules.Rules) error {
	var missing []string
	for _, t := range r.Types {
		if !m.sources[t.Code] {
			missing = append(missing, "SOURCE "+t.Code)
		}
	}
	for _, s := range NamedStages(r) {
		if !m.stages[s] {
			missing = append(missing, "lead stage "+s)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (the rules name what the portal lacks: %s)", ErrMissing, strings.Join(missing, ", "))
	}
	return nil
}
