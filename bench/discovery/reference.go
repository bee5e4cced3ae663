package discovery

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// FixedBody is a realistic DiscoverInstances answer: 8 instances of 4
// attributes each, as the AWS JSON 1.1 protocol encodes it.
var FixedBody = fixedBody()

func fixedBody() []byte {
	var b strings.Builder
	b.WriteString(`{"Instances":[`)
	for i := range 8 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Attributes":{"AWS_INSTANCE_IPV4":"10.0.%d.%d","AWS_INSTANCE_PORT":"8080","stage":"prod","zone":"us-east-1%c"},`+
			`"HealthStatus":"HEALTHY","InstanceId":"i-%d-%d","NamespaceName":"bench","ServiceName":"svc-42"}`, i/4, i, 'a'+i%3, 42, i)
	}
	b.WriteString(`],"InstancesRevision":1234567}`)
	return []byte(b.String())
}

// ReferenceHandler is the trivial ceiling: it reads the request body and
// answers every POST with FixedBody, doing no other work.
func ReferenceHandler() http.Handler {
	length := strconv.Itoa(len(FixedBody))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("Content-Length", length)
		_, _ = w.Write(FixedBody)
	})
}
