package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap/auth"
)

// writeCert writes a self-signed certificate with the common name cn.
func writeCert(t *testing.T, certFile, keyFile, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func commonName(t *testing.T, c *auth.CertReloader) string {
	t.Helper()
	cert, err := c.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if _, err := auth.NewCertReloader(certFile, keyFile); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "tls: load certificate "+certFile) {
		t.Fatalf("NewCertReloader with missing files: err = %v, want the certificate named and ErrNotExist", err)
	}
	writeCert(t, certFile, keyFile, "first")
	c, err := auth.NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := commonName(t, c); got != "first" {
		t.Fatalf("got %q, want first", got)
	}
	writeCert(t, certFile, keyFile, "second")
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := commonName(t, c); got != "second" {
		t.Errorf("after Reload got %q, want second", got)
	}
	if err := os.WriteFile(keyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil || !strings.Contains(err.Error(), "and key "+keyFile) || !strings.Contains(err.Error(), "failed to find any PEM data in key input") {
		t.Errorf("Reload of a broken key: err = %v, want the key file named and no PEM data found", err)
	}
	if got := commonName(t, c); got != "second" {
		t.Errorf("after a failed Reload got %q, want the previous certificate", got)
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:53", true},
		{"[::1]:8080", true},
		{"::1", true},
		{"localhost:8080", true},
		{"LOCALHOST", true},
		{"127.0.0.1", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"10.0.0.1:8080", false},
		{"example.com:8080", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := auth.IsLoopback(tt.addr); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
