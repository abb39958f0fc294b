package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/b24desk/b24desk/connector/spam"
	"github.com/b24desk/b24desk/rules"
)

// spamTestTimeout bounds the spam check of `rules test`.
const spamTestTimeout = 15 * time.Second

// spamVerdict is what `rules test --mail` shows of the spam filter.
type spamVerdict struct {
	Spamd     string   `json:"spamd"`
	Score     float64  `json:"score"`
	Threshold float64  `json:"threshold"`
	Spam      bool     `json:"spam"`
	Stage     string   `json:"stage,omitempty"`
	Rules     []string `json:"rules"`
	Error     string   `json:"error,omitempty"`
}

// spamdAddress is the spamd `rules test` asks: --spamd, else the config's
// spamd.address when --config names a config ("" none).
func spamdAddress(flagAddr, configPath string, stderr io.Writer) (string, int) {
	if flagAddr != "" || configPath == "" {
		return flagAddr, exitOK
	}
	cfg, code := loadConfig(configPath, stderr)
	if cfg == nil {
		return "", code
	}
	return cfg.Spamd.Address, exitOK
}

// checkMailSpam scores the mail file with spamd as the intake would.
func checkMailSpam(ctx context.Context, addr, mailPath string, r *rules.Rules) *spamVerdict {
	v := &spamVerdict{Spamd: addr, Rules: []string{}}
	raw, err := os.ReadFile(mailPath)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	c, err := spam.New(spam.Options{Addr: addr, Timeout: spamTestTimeout})
	if err != nil {
		v.Error = err.Error()
		return v
	}
	res, err := c.Symbols(ctx, raw)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Score, v.Threshold, v.Spam = res.Score, r.Spam.Threshold, r.Spam.IsSpam(res.Score, res.Spam)
	if v.Threshold == 0 {
		v.Threshold = res.Threshold
	}
	if res.Rules != nil {
		v.Rules = res.Rules
	}
	if v.Spam {
		v.Stage = r.Spam.JunkStage
	}
	return v
}

func writeSpamText(w io.Writer, v *spamVerdict) {
	switch {
	case v.Error != "":
		fmt.Fprintf(w, "spam:      not checked: %s\n", v.Error)
	case v.Spam:
		fmt.Fprintf(w, "spam:      %.1f / %.1f: SPAM, the ticket is created in stage %s (no acknowledgement, SLA, workflow)  (%s)\n",
			v.Score, v.Threshold, v.Stage, strings.Join(v.Rules, ", "))
	default:
		fmt.Fprintf(w, "spam:      %.1f / %.1f: not spam  (%s)\n", v.Score, v.Threshold, strings.Join(v.Rules, ", "))
	}
}
