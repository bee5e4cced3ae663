package acceptance_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
)

const credentialsFile = `[admin]
aws_access_key_id = AKIDADMIN
aws_secret_access_key = admin-secret

[reader]
aws_access_key_id = AKIDREADER
aws_secret_access_key = reader-secret
allowed_actions = servicediscovery:Discover*, servicediscovery:Get*
allowed_namespaces = open
`

func withCredentials(t *testing.T) func(*embed.Config) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(credentialsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *embed.Config) { c.CredentialsFile = path }
}

// apiCode returns the AWS error code of err (acceptance.DecodeError).
func apiCode(t *testing.T, err error) string {
	t.Helper()
	return acceptance.DecodeError(t, err).Code
}

func TestSecurity_SigV4AndScopes(t *testing.T) {
	n := acceptance.MustStart(t, withCredentials(t))
	admin := acceptance.NewClient(n.APIURL(), "AKIDADMIN", "admin-secret")
	reader := acceptance.NewClient(n.APIURL(), "AKIDREADER", "reader-secret")
	n.Client = admin
	openID := createHTTPNamespace(t, n, "open")
	closedID := createHTTPNamespace(t, n, "closed")
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &openID})
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &closedID})

	_, err := acceptance.NewClient(n.APIURL(), "AKIDADMIN", "wrong").ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if code := apiCode(t, err); code != "InvalidSignatureException" {
		t.Errorf("wrong secret: %s", code)
	}
	_, err = acceptance.NewClient(n.APIURL(), "AKIDNOBODY", "x").ListNamespaces(ctx, &sd.ListNamespacesInput{})
	if code := apiCode(t, err); code != "UnrecognizedClientException" {
		t.Errorf("unknown key: %s", code)
	}
	// The reader may discover in "open" but not in "closed", and may not write.
	if _, err := reader.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("open"), ServiceName: aws.String("s")}); err != nil {
		t.Errorf("reader discovering in its namespace: %v", err)
	}
	_, err = reader.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("closed"), ServiceName: aws.String("s")})
	if code := apiCode(t, err); code != "AccessDeniedException" {
		t.Errorf("reader outside its namespaces: %s", code)
	}
	_, err = reader.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("open")})
	if code := apiCode(t, err); code != "AccessDeniedException" {
		t.Errorf("reader creating: %s", code)
	}
	// Unsigned requests are refused.
	resp, err := http.Post(n.APIURL(), "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned request: status %d, want 403", resp.StatusCode)
	}
}

func TestSecurity_TLS(t *testing.T) {
	certFile, keyFile := selfSigned(t)
	n := acceptance.MustStart(t, func(c *embed.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	if !strings.HasPrefix(n.APIURL(), "https://") {
		t.Fatalf("API URL %s is not https", n.APIURL())
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	c := sd.New(sd.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.APIURL()), HTTPClient: hc,
		Credentials: aws.AnonymousCredentials{}})
	if _, err := c.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil {
		t.Errorf("ListNamespaces over TLS: %v", err)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Post(n.APIURL(), "application/x-amz-json-1.1", strings.NewReader("{}")); err == nil {
		t.Error("TLS 1.1 accepted")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cf, kf
}
