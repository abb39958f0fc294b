package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/spam/spamdtest"
	"github.com/b24desk/b24desk/rules"
)

func TestCheckSpamd(t *testing.T) {
	r := &rules.Rules{Spam: rules.Spam{Threshold: 4.5, JunkStage: "JUNK", Learn: true}}
	env := func(addr string) *checkEnv {
		return &checkEnv{cfg: &config.Config{Spamd: config.Spamd{Address: addr, Timeout: 2 * time.Second, MaxSize: 500 * config.KiB}}, rules: r}
	}
	if lines := checkSpamd(context.Background(), env("")); len(lines) != 0 {
		t.Fatalf("no spamd configured: %v", lines)
	}
	f := spamdtest.NewFake(t, "tcp", "127.0.0.1:0", func(cmd string, _ map[string]string, body []byte) string {
		if cmd == "PING" {
			return "SPAMD/1.5 0 PONG\r\n"
		}
		if !strings.Contains(string(body), "GTUBE") {
			return "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n"
		}
		return "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1000.0 / 5.0\r\n\r\n"
	})
	lines := checkSpamd(context.Background(), env(f.Addr))
	if len(lines) != 1 || !lines[0].ok || !strings.Contains(lines[0].what, "a test mail scored 1000.0 / 5.0") ||
		!strings.Contains(lines[0].what, "threshold 4.5 (rules), spam goes to stage JUNK") {
		t.Fatalf("lines: %+v", lines)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := l.Addr().String()
	_ = l.Close()
	lines = checkSpamd(context.Background(), env(down))
	if len(lines) != 1 || lines[0].ok || !strings.Contains(lines[0].what, "spamd unavailable") || !strings.Contains(lines[0].fix, "unchecked") {
		t.Fatalf("down: %+v", lines)
	}
}
