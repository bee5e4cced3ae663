package awsapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/awsapi"
)

func TestOperations(t *testing.T) {
	names, err := awsapi.Operations()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(names), 30; got != want {
		t.Errorf("got %d operations, want %d: %v", got, want, names)
	}
	// The handler serves exactly the methods of cloudmap.API, the one list
	// auth matches action patterns against.
	if want := cloudmap.OperationNames(); !slices.Equal(names, want) {
		t.Errorf("served operations %v, want cloudmap.OperationNames %v", names, want)
	}
}

// TestHandler_Validation sends bodies and checks the error code and that
// the message names the member path and the constraint. wantCode "" means
// the request is valid and reaches the API.
func TestHandler_Validation(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	tests := []struct {
		name     string
		op       string
		body     string
		wantCode string
		wantMsg  []string
	}{
		{"valid", "CreateHttpNamespace", `{"Name":"ns"}`, "", nil},
		{"required missing", "CreateHttpNamespace", `{}`, "InvalidInput",
			[]string{"1 validation error detected: Value at 'Name' failed to satisfy constraint: Member must not be null"}},
		{"required null", "CreateHttpNamespace", `{"Name":null}`, "InvalidInput", []string{"'Name'", "must not be null"}},
		{"two required", "DeregisterInstance", `{}`, "InvalidInput",
			[]string{"2 validation errors detected", "'ServiceId'", "'InstanceId'"}},
		{"max length", "CreateHttpNamespace", `{"Name":"` + long(1025, "a") + `"}`, "InvalidInput",
			[]string{"Value at 'Name' failed to satisfy constraint: Member must have length less than or equal to 1024"}},
		{"length counts characters", "CreateHttpNamespace", `{"Name":"n","Description":"` + long(1024, "é") + `"}`, "", nil},
		{"length over in characters", "CreateHttpNamespace", `{"Name":"n","Description":"` + long(1025, "é") + `"}`, "InvalidInput",
			[]string{"'Description'", "less than or equal to 1024"}},
		{"min length nested", "TagResource", `{"ResourceARN":"arn:x","Tags":[{"Key":"","Value":""}]}`, "InvalidInput",
			[]string{"Value at 'Tags[0].Key' failed to satisfy constraint: Member must have length greater than or equal to 1"}},
		{"tag value may be empty", "TagResource", `{"ResourceARN":"arn:x","Tags":[{"Key":"k","Value":""}]}`, "", nil},
		{"list min size", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":[]}`, "InvalidInput",
			[]string{"'Attributes'", "Member must have length greater than or equal to 1"}},
		{"list max size", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":[` + strings.TrimSuffix(long(31, `"a",`), ",") + `]}`,
			"InvalidInput", []string{"'Attributes'", "less than or equal to 30"}},
		{"map max size", "UpdateServiceAttributes", `{"ServiceId":"s","Attributes":{` + mapOf(31) + `}}`,
			"InvalidInput", []string{"'Attributes'", "less than or equal to 30"}},
		{"map value length", "UpdateServiceAttributes", `{"ServiceId":"s","Attributes":{"k":"` + long(1025, "v") + `"}}`,
			"InvalidInput", []string{"'Attributes[k]'", "less than or equal to 1024"}},
		{"map key length", "UpdateServiceAttributes", `{"ServiceId":"s","Attributes":{"` + long(256, "k") + `":"v"}}`,
			"InvalidInput", []string{"'Attributes'", "Map keys must have length less than or equal to 255"}},
		{"enum", "DiscoverInstances", `{"NamespaceName":"ns","ServiceName":"web","HealthStatus":"SICK"}`, "InvalidInput",
			[]string{"'HealthStatus'", "Member must satisfy enum value set: [HEALTHY, UNHEALTHY, ALL, HEALTHY_OR_ELSE_ALL]"}},
		{"enum nested", "CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[{"Type":"MX","TTL":60}]}}`, "InvalidInput",
			[]string{"'DnsConfig.DnsRecords[0].Type'", "enum value set"}},
		{"range max", "DiscoverInstances", `{"NamespaceName":"ns","ServiceName":"web","MaxResults":1001}`, "InvalidInput",
			[]string{"'MaxResults'", "Member must have value less than or equal to 1000"}},
		{"range min", "ListServices", `{"MaxResults":0}`, "InvalidInput",
			[]string{"'MaxResults'", "Member must have value greater than or equal to 1"}},
		{"long range", "CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":-1}]}}`, "InvalidInput",
			[]string{"'DnsConfig.DnsRecords[0].TTL'", "greater than or equal to 0"}},
		{"long max", "CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":2147483648}]}}`, "InvalidInput",
			[]string{"less than or equal to 2147483647"}},
		{"pattern", "RegisterInstance", `{"ServiceId":"s","InstanceId":"bad id","Attributes":{"a":"b"}}`, "InvalidInput",
			[]string{"'InstanceId'", "Member must satisfy regular expression pattern: ^[0-9a-zA-Z_/:.@-]+$"}},
		{"attr value pattern", "DiscoverInstances", `{"NamespaceName":"ns","ServiceName":"web","QueryParameters":{"k":" lead"}}`,
			"InvalidInput", []string{"'QueryParameters[k]'", "regular expression"}},
		{"exact length", "GetOperation", `{"OperationId":"o","OwnerAccount":"123"}`, "InvalidInput",
			[]string{"'OwnerAccount'", "greater than or equal to 12"}},
		{"null in list", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":["a",null]}`, "InvalidInput",
			[]string{"'Attributes[1]'", "must not be null"}},
		{"many violations capped", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":[` +
			strings.TrimSuffix(long(12, `"`+long(256, "x")+`",`), ",") + `]}`, "InvalidInput",
			[]string{"12 validation errors detected", "and 2 more"}},
		// Every range, length and size accepts its ends.
		{"range at max", "DiscoverInstances", `{"NamespaceName":"ns","ServiceName":"web","MaxResults":1000}`, "", nil},
		{"range at min", "ListServices", `{"MaxResults":1}`, "", nil},
		{"long at its ends", "CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":0},{"Type":"AAAA","TTL":2147483647}]}}`, "", nil},
		{"list at min size", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":["a"]}`, "", nil},
		{"list at max size", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":[` + strings.TrimSuffix(long(30, `"a",`), ",") + `]}`, "", nil},
		{"map at max size", "UpdateServiceAttributes", `{"ServiceId":"s","Attributes":{` + mapOf(30) + `}}`, "", nil},
		{"map key at max length", "UpdateServiceAttributes", `{"ServiceId":"s","Attributes":{"` + long(255, "k") + `":"` + long(1024, "v") + `"}}`, "", nil},
		// Map key violations past the listed ones are counted, not listed.
		{"map key violations past the cap", "UpdateServiceAttributes", `{"ServiceId":"s","Attributes":{` + longKeys(12) + `}}`,
			"InvalidInput", []string{"12 validation errors detected", "Map keys must have length less than or equal to 255", "and 2 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAnswer(t, post(t, url, targetPrefix+tt.op, tt.body), tt.wantCode, tt.wantMsg)
		})
	}
}

// TestHandler_Patterns checks each model pattern Go cannot compile as
// written, through the member that carries it.
func TestHandler_Patterns(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	svc := func(name string) string { return `{"NamespaceName":"ns","ServiceName":"` + name + `"}` }
	tests := []struct {
		name, op, body string
		valid          bool
	}{
		// ^(?!arn:)[!-~]{1,1024}$ (NamespaceNameHttp)
		{"http name", "CreateHttpNamespace", `{"Name":"my-ns.local"}`, true},
		{"http name arn", "CreateHttpNamespace", `{"Name":"arn:aws:x"}`, false},
		{"http name arn inside", "CreateHttpNamespace", `{"Name":"xarn:"}`, true},
		{"http name space", "CreateHttpNamespace", `{"Name":"a b"}`, false},
		{"http name empty", "CreateHttpNamespace", `{"Name":""}`, false},
		{"http name 1024", "CreateHttpNamespace", `{"Name":"` + strings.Repeat("a", 1024) + `"}`, true},
		{"http name non-ascii", "CreateHttpNamespace", `{"Name":"caf\u00e9"}`, false},
		// ^(?!arn:)[!-~]{1,253}$ (NamespaceNamePrivate)
		{"private name", "CreatePrivateDnsNamespace", `{"Name":"example.local","Vpc":"vpc-1"}`, true},
		{"private name arn", "CreatePrivateDnsNamespace", `{"Name":"arn:x","Vpc":"vpc-1"}`, false},
		{"private name 254", "CreatePrivateDnsNamespace", `{"Name":"` + strings.Repeat("a", 254) + `","Vpc":"vpc-1"}`, false},
		{"private name 253", "CreatePrivateDnsNamespace", `{"Name":"` + strings.Repeat("a", 253) + `","Vpc":"vpc-1"}`, true},
		// ^[!-~]{1,1024}$ (NamespaceName: repeat count over RE2's 1000)
		{"ns name", "DiscoverInstances", svc("web"), true},
		{"ns name tab", "DiscoverInstances", `{"NamespaceName":"a\tb","ServiceName":"web"}`, false},
		{"ns name 1024", "DiscoverInstances", `{"NamespaceName":"` + strings.Repeat("n", 1024) + `","ServiceName":"web"}`, true},
		{"ns name arn allowed", "DiscoverInstances", `{"NamespaceName":"arn:x","ServiceName":"web"}`, true},
		// ((?=^.{1,127}$)^(label)(\.label)*$)|(^\.$) (ServiceName)
		{"svc simple", "DiscoverInstances", svc("web"), true},
		{"svc dot", "DiscoverInstances", svc("."), true},
		{"svc srv style", "DiscoverInstances", svc("_http._tcp"), true},
		{"svc one char", "DiscoverInstances", svc("a"), true},
		{"svc single underscore", "DiscoverInstances", svc("_"), false},
		{"svc leading hyphen", "DiscoverInstances", svc("-web"), false},
		{"svc trailing dot", "DiscoverInstances", svc("web."), false},
		{"svc double dot", "DiscoverInstances", svc("a..b"), false},
		{"svc 63 label", "DiscoverInstances", svc(strings.Repeat("a", 63)), true},
		{"svc 64 label", "DiscoverInstances", svc(strings.Repeat("a", 64)), false},
		{"svc 127", "DiscoverInstances", svc(strings.Repeat("a", 63) + "." + strings.Repeat("b", 63)), true},
		{"svc 128", "DiscoverInstances", svc(strings.Repeat("a", 63) + "." + strings.Repeat("b", 62) + ".c"), false},
		{"svc newline", "DiscoverInstances", svc(`web\n`), false},
		{"svc empty", "DiscoverInstances", svc(""), false},
		// A public name uses a pattern Go compiles as written.
		{"public name", "CreatePublicDnsNamespace", `{"Name":"example.com"}`, true},
		{"public name single label", "CreatePublicDnsNamespace", `{"Name":"example"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, targetPrefix+tt.op, tt.body)
			if tt.valid {
				checkAnswer(t, r, "", nil)
			} else {
				checkAnswer(t, r, "InvalidInput", []string{"regular expression pattern"})
			}
		})
	}
}

func TestHandler_Serialization(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	tests := []struct {
		name, op, body string
		wantMsg        []string
	}{
		{"unknown member", "CreateHttpNamespace", `{"Name":"ns","Foo":1}`, []string{"Unknown member Foo in CreateHttpNamespace input"}},
		{"member names are case-sensitive", "CreateHttpNamespace", `{"name":"ns"}`, []string{"Unknown member name"}},
		{"unknown nested member", "CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[],"Bogus":true}}`,
			[]string{"Unknown member Bogus in DnsConfig at 'DnsConfig'"}},
		{"integer as string", "ListServices", `{"MaxResults":"10"}`, []string{"Expected integer for MaxResults, got string"}},
		{"integer fraction", "ListServices", `{"MaxResults":1.5}`, []string{"Expected integer for MaxResults, got number 1.5"}},
		{"integer overflow", "ListServices", `{"MaxResults":99999999999999999999}`, []string{"MaxResults", "out of range"}},
		{"string as number", "GetNamespace", `{"Id":5}`, []string{"Expected string for Id, got number"}},
		{"list as object", "DeleteServiceAttributes", `{"ServiceId":"s","Attributes":{}}`,
			[]string{"Expected list for Attributes, got object"}},
		{"map as list", "RegisterInstance", `{"ServiceId":"s","InstanceId":"i","Attributes":[]}`,
			[]string{"Expected map for Attributes, got list"}},
		{"structure as string", "CreateService", `{"Name":"web","DnsConfig":"x"}`,
			[]string{"Expected structure for DnsConfig, got string"}},
		{"nested type", "CreateService", `{"Name":"web","DnsConfig":{"DnsRecords":[{"Type":"A","TTL":"60"}]}}`,
			[]string{"Expected integer for DnsConfig.DnsRecords[0].TTL, got string"}},
		{"top level array", "GetNamespace", `[]`, []string{"Expected structure for input, got list"}},
		{"malformed", "GetNamespace", `{"Id":`, []string{"Malformed JSON", "end of input"}},
		{"trailing data", "GetNamespace", `{"Id":"x"} x`, []string{"Malformed JSON", "after the top-level value"}},
		{"bad escape", "GetNamespace", `{"Id":"\x"}`, []string{"Malformed JSON", "escape"}},
		{"control char", "GetNamespace", "{\"Id\":\"a\x01\"}", []string{"Malformed JSON", "control character"}},
		{"missing comma", "DeregisterInstance", `{"ServiceId":"s" "InstanceId":"i"}`, []string{"Malformed JSON", "expected ','"}},
		{"bad literal", "GetNamespace", `{"Id":nope}`, []string{"Malformed JSON", "invalid character"}},
		{"map value as number", "RegisterInstance", `{"ServiceId":"s","InstanceId":"i","Attributes":{"k":1}}`,
			[]string{"Expected string for Attributes[k], got number"}},
		{"map ends after a key", "RegisterInstance", `{"ServiceId":"s","InstanceId":"i","Attributes":{"k":`,
			[]string{"Malformed JSON", "end of input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAnswer(t, post(t, url, targetPrefix+tt.op, tt.body), "SerializationException", tt.wantMsg)
		})
	}
}

// checkAnswer checks a raw answer: 200 when wantCode is "", else 400 with the
// code and a message containing every wantMsg part.
func checkAnswer(t *testing.T, r response, wantCode string, wantMsg []string) {
	t.Helper()
	if wantCode == "" {
		if r.status != 200 {
			t.Fatalf("got %d %s, want 200", r.status, r.body)
		}
		return
	}
	doc := r.doc(t)
	if r.status != 400 || doc["__type"] != wantCode {
		t.Fatalf("got %d %s, want 400 %s", r.status, r.body, wantCode)
	}
	msg, _ := doc["Message"].(string)
	for _, part := range wantMsg {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q lacks %q", msg, part)
		}
	}
}

func mapOf(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"k` + strings.Repeat("x", i) + `":"v"`
	}
	return strings.Join(parts, ",")
}

// longKeys returns n map entries whose keys are 256 characters, one over
// the model's limit.
func longKeys(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"` + strings.Repeat(string(rune('a'+i)), 256) + `":"v"`
	}
	return strings.Join(parts, ",")
}

// TestHandler_ViolationsAtTheCap: with exactly as many violations as are
// listed, the message lists them all and adds no "and 0 more".
func TestHandler_ViolationsAtTheCap(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	body := `{"ServiceId":"s","Attributes":[` + strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("x", 256)+`",`, 10), ",") + `]}`
	r := post(t, url, targetPrefix+"DeleteServiceAttributes", body)
	checkAnswer(t, r, "InvalidInput", []string{"10 validation errors detected", "'Attributes[9]'"})
	if msg, _ := r.doc(t)["Message"].(string); strings.Contains(msg, "more") {
		t.Errorf("message %q mentions more violations than the 10 it lists", msg)
	}
}

// TestHandler_NumbersClipped: a number echoed in a message is shown whole
// up to 32 characters, and clipped beyond.
func TestHandler_NumbersClipped(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	for _, c := range []struct{ literal, shown string }{
		{"1." + strings.Repeat("0", 30), "1." + strings.Repeat("0", 30)},
		{"1." + strings.Repeat("0", 31), "1." + strings.Repeat("0", 30) + "..."},
	} {
		r := post(t, url, targetPrefix+"ListServices", `{"MaxResults":`+c.literal+`}`)
		if msg, _ := r.doc(t)["Message"].(string); msg != "Expected integer for MaxResults, got number "+c.shown {
			t.Errorf("message %q, want the number shown as %s", msg, c.shown)
		}
	}
}

// TestHandler_MemberGivenAgain: a member given twice takes its last value
// and only its violations, optional members as well as required ones;
// with two members each given twice, the violations of both first values
// are dropped.
func TestHandler_MemberGivenAgain(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	long := strings.Repeat("n", 1025)
	tests := []struct {
		name, body string
		wantCode   string
		wantMsg    []string
	}{
		{"both fixed", `{"Name":"` + long + `","Description":"` + long + `","Name":"ok","Description":"ok"}`, "", nil},
		{"second fixed", `{"Name":"` + long + `","Description":"` + long + `","Description":"ok"}`, "InvalidInput",
			[]string{"2 validation errors detected: Value at 'Name'", "'Name' failed to satisfy constraint: Member must satisfy regular expression"}},
		{"first fixed", `{"Name":"` + long + `","Description":"` + long + `","Name":"ok"}`, "InvalidInput",
			[]string{"1 validation error detected: Value at 'Description'"}},
		{"three broken, two fixed in order", `{"Name":"` + long + `","Description":"` + long + `","CreatorRequestId":"` + long +
			`","Name":"ok","Description":"ok"}`, "InvalidInput",
			[]string{"1 validation error detected: Value at 'CreatorRequestId'"}},
		{"three broken, the later two fixed", `{"Name":"` + long + `","Description":"` + long + `","CreatorRequestId":"` + long +
			`","Description":"ok","CreatorRequestId":"ok"}`, "InvalidInput",
			[]string{"2 validation errors detected: Value at 'Name'"}},
		{"fixed then broken", `{"Name":"ok","Description":"` + long + `","Name":"` + long + `","Description":"ok"}`, "InvalidInput",
			[]string{"2 validation errors detected: Value at 'Name'", "'Name' failed to satisfy constraint: Member must satisfy regular expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAnswer(t, post(t, url, targetPrefix+"CreateHttpNamespace", tt.body), tt.wantCode, tt.wantMsg)
		})
	}
}

// TestHandler_UnknownMemberNames: an unknown member is named bare when it
// is at most 64 printable characters, quoted otherwise.
func TestHandler_UnknownMemberNames(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	x64 := strings.Repeat("x", 64)
	for _, c := range []struct{ name, shown string }{
		{x64, x64},
		{x64 + "y", `"` + x64 + `"...`},
		{"!a~", "!a~"},
		{"a b", `"a b"`},
		{"a\\u007f", `"a\x7f"`},
	} {
		r := post(t, url, targetPrefix+"GetNamespace", `{"Id":"x","`+c.name+`":1}`)
		if msg, _ := r.doc(t)["Message"].(string); msg != "Unknown member "+c.shown+" in GetNamespace input" {
			t.Errorf("member %q: message %q, want it shown as %s", c.name, msg, c.shown)
		}
	}
}
