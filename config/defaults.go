package config

import "time"

// Default returns the configuration an empty file gets (before paths are
// resolved against the config file's directory).
func Default() Config {
	return Config{
		Portal: Portal{
			OAuthServer:    "https://oauth.bitrix.info",
			Plan:           PlanStandard,
			Timezone:       "Europe/Moscow",
			RequestTimeout: 60 * time.Second,
		},
		Rules:     Rules{Path: "rules.yaml"},
		State:     State{Dir: "state"},
		HTTP:      HTTP{Listen: "127.0.0.1:8080"},
		Events:    Events{Mode: EventsPoll, OfflineInterval: 10 * time.Second},
		Reconcile: Reconcile{Interval: time.Minute, Margin: 60 * time.Second, SweepInterval: 15 * time.Minute},
		SLA:       SLA{Tick: 30 * time.Second},
		Retention: 720 * time.Hour,
		// 13 months: a year's report with the same month a year before.
		HistoryRetention: 395 * 24 * time.Hour,
		Log:              Log{Level: "info", Format: "json"},
		Outbox:           Outbox{LookupDelay: 90 * time.Second},
		Threading:        Threading{TagFormat: "[#{id}]", ReopenWindow: 14 * 24 * time.Hour},
		Spamd:            Spamd{Timeout: 10 * time.Second, MaxSize: 500 * KiB},
	}
}

// Portal plans and their leaky-bucket limits (bitrix24-api.md §3).
const (
	PlanStandard   = "standard"
	PlanEnterprise = "enterprise"
)

func planLimits(plan string) (rate float64, burst int) {
	if plan == PlanEnterprise {
		return 5, 250
	}
	return 2, 50
}
