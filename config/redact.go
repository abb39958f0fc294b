package config

import (
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Redacted returns a copy of c safe to show: every secret is replaced by
// "****", and the webhook URL keeps its host and user ID only
// (https://HOST/rest/1/****/).
func (c *Config) Redacted() Config {
	r := *c
	r.Portal.WebhookURL = Secret(RedactWebhookURL(c.Portal.WebhookURL.Value()))
	r.Portal.ClientSecret = mask(c.Portal.ClientSecret)
	r.HTTP.ApplicationToken = mask(c.HTTP.ApplicationToken)
	r.HTTP.ReportToken = mask(c.HTTP.ReportToken)
	r.State.PostgresURL = mask(c.State.PostgresURL)
	r.Mailboxes = slices.Clone(c.Mailboxes)
	for i := range r.Mailboxes {
		r.Mailboxes[i].IMAP.Password = mask(r.Mailboxes[i].IMAP.Password)
		r.Mailboxes[i].SMTP.Password = mask(r.Mailboxes[i].SMTP.Password)
	}
	return r
}

func mask(s Secret) Secret {
	if s == "" {
		return ""
	}
	return redactedMark
}

// RedactWebhookURL shows an inbound webhook URL without its secret:
// https://HOST/rest/USER_ID/****/. Anything that does not parse as one is
// shown as "****".
func RedactWebhookURL(u string) string {
	if u == "" {
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" || parsed.User != nil {
		return redactedMark
	}
	parts := strings.Split(strings.Trim(parsed.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "rest" {
		return redactedMark
	}
	if _, err := strconv.Atoi(parts[1]); err != nil {
		return redactedMark
	}
	return parsed.Scheme + "://" + parsed.Host + "/rest/" + parts[1] + "/" + redactedMark + "/"
}

// Print writes the configuration as YAML, redacted, with durations and
// sizes in the file's notation (for the check command and logs).
func (c *Config) Print(w io.Writer) error {
	r := c.Redacted()
	node := encodeValue(reflect.ValueOf(r))
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return fmt.Errorf("config: print: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("config: print: %w", err)
	}
	return nil
}

// encodeValue builds the YAML node of a (redacted) configuration value.
func encodeValue(v reflect.Value) *yaml.Node {
	scalar := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
	switch v.Type() {
	case durationType:
		return scalar(formatDuration(time.Duration(v.Int())))
	case sizeType:
		return scalar(Size(v.Int()).String())
	case timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		}
		return scalar(t.Format(dateLayout))
	case secretType:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.String()}
	}
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range fields(v.Type()) {
			n.Content = append(n.Content, scalar(f.key), encodeValue(v.Field(f.index)))
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range v.Len() {
			n.Content = append(n.Content, encodeValue(v.Index(i)))
		}
		return n
	case reflect.String:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.String()}
	case reflect.Bool:
		return scalar(strconv.FormatBool(v.Bool()))
	case reflect.Int:
		return scalar(strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		return scalar(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	}
	return scalar("")
}
