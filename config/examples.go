package config

import _ "embed" // the example files ship inside the binary

//go:embed rules.example.yaml
var rulesExample []byte

//go:embed b24desk.example.yaml
var configExample []byte

// RulesExample returns config/rules.example.yaml, the default rules file
// (the demo runs on it; `b24desk rules check` accepts it as it is). The
// slice is a fresh copy: the caller may change it.
func RulesExample() []byte { return append([]byte(nil), rulesExample...) }

// Example returns config/b24desk.example.yaml, the documented example of
// the daemon config. The slice is a fresh copy.
func Example() []byte { return append([]byte(nil), configExample...) }
