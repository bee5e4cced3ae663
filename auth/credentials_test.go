package auth_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap/auth"
)

func TestLoadCredentialsFile(t *testing.T) {
	const file = "\ufeff# accepted keys\n" +
		"[admin]\n" +
		"aws_access_key_id = AKIDADMIN\n" +
		"aws_secret_access_key = admin/secret=with+equals\n" +
		"region = us-east-1\n" +
		"\n" +
		"; a reader\n" +
		"[profile reader]\n" +
		"AWS_ACCESS_KEY_ID=AKIDREADER\n" +
		"aws_secret_access_key=reader-secret\n" +
		"allowed_actions = servicediscovery:Discover*, servicediscovery:Get* ,\n" +
		"allowed_namespaces = open, ns-1234567890\n"
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := auth.LoadCredentialsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []auth.Key{
		{Name: "admin", AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin/secret=with+equals"},
		{Name: "reader", AccessKeyID: "AKIDREADER", SecretAccessKey: "reader-secret",
			AllowedActions:    []string{"servicediscovery:Discover*", "servicediscovery:Get*"},
			AllowedNamespaces: []string{"open", "ns-1234567890"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := auth.LoadCredentialsFile(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "credentials: open "+missing) {
		t.Errorf("missing file: err = %v, want the file named and ErrNotExist", err)
	}
}

func TestParseCredentials_Errors(t *testing.T) {
	const ok = "[a]\naws_access_key_id = A\naws_secret_access_key = s\n"
	tests := []struct {
		name, file, want string
	}{
		{"empty", "# nothing\n", "no keys"},
		{"no equals", "[a]\naws_secret_access_key s3cr3t\n", "line 2: want \"key = value\""},
		{"key before section", "aws_access_key_id = A\n", "line 1: key \"aws_access_key_id\" before the first [section]"},
		{"unterminated section", "[a\n", "line 1: section header \"[a\" lacks its closing"},
		{"empty section name", "[ ]\n", "line 1: empty section name"},
		{"repeated section", ok + "[a]\n", "line 4: section [a] repeated (first at line 1)"},
		{"repeated key", "[a]\naws_access_key_id = A\naws_access_key_id = B\n", "line 3: key \"aws_access_key_id\" repeated"},
		{"missing secret", "[a]\naws_access_key_id = A\n[b]\n", "line 1: section [a] has no aws_secret_access_key"},
		{"missing id at end", ok + "[b]\naws_secret_access_key = s\n", "line 4: section [b] has no aws_access_key_id"},
		{"duplicate access key", ok + "[b]\naws_access_key_id = A\n", "line 5: aws_access_key_id \"A\" already used by the section at line 1"},
		{"access key with slash", "[a]\naws_access_key_id = A/B\n", "line 2: aws_access_key_id must be"},
		{"empty secret", "[a]\naws_secret_access_key =\n", "line 2: aws_secret_access_key is empty"},
		{"unknown key", ok + "allowed_action = *\n", "line 4: unknown key \"allowed_action\""},
		{"bad action", ok + "allowed_actions = servicediscovery:Discovr*\n", "line 4: allowed_actions: action pattern \"servicediscovery:Discovr*\" matches no Cloud Map operation"},
		{"action without prefix", ok + "allowed_actions = Get*\n", "line 4: allowed_actions: action pattern \"Get*\" must start with"},
		{"empty namespaces", ok + "allowed_namespaces = ,\n", "line 4: allowed_namespaces: empty list"},
		{"account id not 12 digits", ok + "account_id = 12345\n", "line 4: account_id \"12345\" is not an AWS account ID (12 digits)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.ParseCredentials(strings.NewReader(tt.file), "creds")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q reveals a secret", err)
			}
		})
	}
}
