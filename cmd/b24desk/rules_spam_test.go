package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/clock"
	"github.com/b24desk/b24desk/connector/spam/spamdtest"
)

func TestRulesTestSpamScore(t *testing.T) {
	addr := spamdtest.NewFake(t, "tcp", "127.0.0.1:0", func(string, map[string]string, []byte) string {
		return "SPAMD/1.1 0 EX_OK\r\nContent-length: 19\r\nSpam: True ; 7.9 / 5.0\r\n\r\nBAYES_99,MONEY_BACK"
	}).Addr
	clk := clock.NewManual(time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC))
	var out, errOut bytes.Buffer
	code := rulesTest(context.Background(), []string{"../../config/rules.example.yaml", "--mail", "testdata/rules/outage.eml", "--spamd", addr}, &out, &errOut, clk)
	if code != exitOK || !strings.Contains(out.String(), "spam:      7.9 / 5.0: SPAM, the ticket is created in stage JUNK") ||
		!strings.Contains(out.String(), "(BAYES_99, MONEY_BACK)") {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	code = rulesTest(context.Background(), []string{"../../config/rules.example.yaml", "--mail", "testdata/rules/outage.eml", "--spamd", addr, "--json"}, &out, &errOut, clk)
	if code != exitOK || !strings.Contains(out.String(), `"score": 7.9`) || !strings.Contains(out.String(), `"stage": "JUNK"`) {
		t.Fatalf("json: exit %d:\n%s", code, out.String())
	}

	// spamd unreachable: the decision is printed, the score is not, exit 1.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := l.Addr().String()
	_ = l.Close()
	out.Reset()
	code = rulesTest(context.Background(), []string{"../../config/rules.example.yaml", "--mail", "testdata/rules/outage.eml", "--spamd", down}, &out, &errOut, clk)
	if code != exitFailed || !strings.Contains(out.String(), "spam:      not checked: spamd unavailable") || !strings.Contains(out.String(), "type:") {
		t.Fatalf("down: exit %d:\n%s", code, out.String())
	}
}
