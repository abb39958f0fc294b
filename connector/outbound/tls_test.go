package outbound

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/b24desk/b24desk/config"
)

// selfSigned returns a server config with a certificate for 127.0.0.1 and
// a client config trusting it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func TestSenderSecurityAndAuth(t *testing.T) {
	srvTLS, cliTLS := selfSigned(t)
	tests := []struct {
		name     string
		security string
		implicit bool
		mechs    []string
		client   *tls.Config
		ok       bool
	}{
		{"STARTTLS, AUTH PLAIN", config.SecuritySTARTTLS, false, []string{sasl.Plain}, cliTLS, true},
		{"implicit TLS, AUTH LOGIN only", config.SecurityTLS, true, []string{sasl.Login}, cliTLS, true},
		{"implicit TLS with an untrusted certificate", config.SecurityTLS, true, nil, nil, false},
		{"STARTTLS with an untrusted certificate", config.SecuritySTARTTLS, false, nil, nil, false},
		{"no PLAIN or LOGIN offered", config.SecuritySTARTTLS, false, []string{"CRAM-MD5"}, cliTLS, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startSMTPWith(t, "u@example.ru", "pw", srvTLS, tc.mechs, tc.implicit)
			s := NewSender(SMTPConfig{Addr: d.Addr, Security: tc.security, Username: "u@example.ru", Password: "pw",
				TLSConfig: tc.client, Timeout: 5 * time.Second})
			err := s.Send(context.Background(), "u@example.ru", []string{"c@example.com"}, []byte("Subject: x\r\n\r\nx\r\n"))
			if (err == nil) != tc.ok {
				t.Fatalf("Send: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !Permanent(err) {
				t.Errorf("%v is temporary: a configuration problem would be retried forever", err)
			}
			if tc.ok && len(d.Received()) != 1 {
				t.Errorf("received %d", len(d.Received()))
			}
		})
	}
}
