package awsapi_test

import (
	"context"
	"testing"

	"github.com/cloudmap/cloudmap/awsapi"
)

// TestHandler_MalformedJSON cuts bodies off at each place the lexer checks
// for the end of the input, and sends numbers at the edges of the JSON
// grammar: each gets the SerializationException naming the rule it broke
// (and the offset), never a panic or another rule's message.
func TestHandler_MalformedJSON(t *testing.T) {
	url := start(t, func(context.Context, string, any) (any, error) { return nil, nil }, awsapi.Config{})
	const get, list = "GetNamespace", "ListServices"
	malformed := func(op string, offset, msg string) string {
		return "Malformed JSON in " + op + " input at offset " + offset + ": " + msg
	}
	tests := []struct {
		name, op, body, want string
	}{
		{"end after a member value", get, `{"Id":"x"`, malformed(get, "9", "unexpected end of input")},
		{"end after a comma", get, `{"Id":"x",`, malformed(get, "10", "unexpected end of input")},
		{"end after a member name", get, `{"Id"`, malformed(get, "5", "expected ':' after a member name")},
		{"end inside a string", get, `{"Id":"abc`, malformed(get, "10", "unterminated string")},
		{"end inside a string after an escape", get, `{"Id":"a\n`, malformed(get, "10", "unterminated string")},
		{"end after a backslash", get, `{"Id":"a\`, malformed(get, "8", "unterminated escape")},
		{"end after a high surrogate and a backslash", get, `{"Id":"\ud800\`, malformed(get, "13", "unterminated escape")},
		{"end right after a high surrogate", get, `{"Id":"\ud800`, malformed(get, "13", "unterminated string")},
		{"end right after four hex digits", get, `{"Id":"\u0041`, malformed(get, "13", "unterminated string")},
		{"end inside four hex digits", get, `{"Id":"\u00`, malformed(get, "7", `invalid \u escape`)},
		{"end inside a literal", get, `{"Id":tru`, malformed(get, "6", "invalid character 't'")},
		{"literal at the very end", get, `{"Id":true`, "Expected string for Id, got boolean"},
		{"null at the very end", get, `{"Id":null`, malformed(get, "10", "unexpected end of input")},
		{"end after a number", list, `{"MaxResults":5`, malformed(list, "15", "unexpected end of input")},
		{"fraction without digits", list, `{"MaxResults":1.}`, malformed(list, "14", "invalid number")},
		{"exponent is a number, not an integer", list, `{"MaxResults":1e3}`, "Expected integer for MaxResults, got number 1e3"},
		{"signed exponent is a number", list, `{"MaxResults":1e+3}`, "Expected integer for MaxResults, got number 1e+3"},
		{"end after an exponent mark", list, `{"MaxResults":1e`, malformed(list, "14", "invalid number")},
		{"integer past 64 bits that wraps to a small one", list, `{"MaxResults":18446744073709551620}`,
			"Value 18446744073709551620 for MaxResults is out of range for a 64-bit integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, targetPrefix+tt.op, tt.body)
			checkAnswer(t, r, "SerializationException", []string{tt.want})
			if msg, _ := r.doc(t)["Message"].(string); msg != tt.want {
				t.Errorf("message %q, want exactly %q", msg, tt.want)
			}
		})
	}
	// Every digit is a digit, in the lexer and in the integer parser.
	checkAnswer(t, post(t, url, targetPrefix+list, `{"MaxResults":99}`), "", nil)
}
