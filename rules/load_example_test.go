package rules

import (
	"strings"
	"testing"
	"time"
)

func loadExample(t testing.TB) *Rules {
	t.Helper()
	r, _, err := Load("../config/rules.example.yaml", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("load example: %v", err)
	}
	return r
}

func TestExampleLoads(t *testing.T) {
	r, warns, err := Load("../config/rules.example.yaml", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if len(r.Types) != 9 || len(r.SLA) != 6 {
		t.Errorf("types %d, policies %d", len(r.Types), len(r.SLA))
	}
	_, warns, _ = Load("../config/rules.example.yaml", time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if len(warns) != 0 {
		t.Errorf("the imported 2027 file covers late November 2026, got %v", warns)
	}
	_, warns, _ = Load("../config/rules.example.yaml", time.Date(2027, 11, 28, 0, 0, 0, 0, time.UTC))
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, "ends on 2027-12-31") {
		t.Errorf("want the holiday-data warning in late November 2027, got %v", warns)
	}
}
