package awsapi

import (
	"context"
	"net/http"
)

// UnknownOperation is the operation name hooks see for a request whose
// X-Amz-Target names no operation (or that failed before its target was
// read): one name, so that metrics keep a bounded set of labels.
const UnknownOperation = "UnknownOperation"

// Call is one API request as the hooks see it.
type Call struct {
	// Operation is the operation name, e.g. "DiscoverInstances", or
	// UnknownOperation.
	Operation string
	// RequestID is the x-amzn-RequestId of the answer.
	RequestID string
	// Request is the HTTP request; its body has been read. For a
	// long-poll answered after its connection was handed over, it is
	// rebuilt from what the parked long-poll kept: the method, URL,
	// protocol, Host, RemoteAddr, TLS state, ContentLength and Close, and
	// of the headers only Authorization, X-Amz-Target, X-Cloudmap-Index
	// and X-Cloudmap-Wait; no body, and a background context (the
	// request's own ended with the handler).
	Request *http.Request
	// Input is the decoded input, a pointer to the operation's input struct
	// (e.g. *cloudmap.DiscoverInstancesInput), or nil when Rejected is set.
	Input any
	// Rejected is the error of a request that failed before dispatch
	// (method, content type, body, decoding, validation against the model,
	// authentication, authorization, throttling): the innermost invoker
	// returns it without calling the API. Every request passes the hooks.
	Rejected error
}

// Invoker runs one call and returns the operation's output (a pointer to
// its output struct) or an error (a *cloudmap.Error with an AWS code, or an
// internal error answered 500).
type Invoker func(ctx context.Context, c *Call) (any, error)

// Hook wraps the invoker of one operation: a cross-cutting concern (the
// store-outage guard, metrics, the access log) is one Hook. It is called
// once per operation when the handler is built, never per request, so it
// may prepare per-operation state (a metric's label values) outside the
// request path.
type Hook func(op string, next Invoker) Invoker

// chain wraps base in hooks; the first hook is the outermost.
func chain(hooks []Hook, op string, base Invoker) Invoker {
	inv := base
	for i := len(hooks) - 1; i >= 0; i-- {
		inv = hooks[i](op, inv)
	}
	return inv
}

// buildInvokers builds the chained invoker of every operation of t, and of the
// unknown operation, over api calls.
func (h *handler) buildInvokers(hooks []Hook) {
	h.invs = make(map[*operation]Invoker, 32)
	if h.table != nil {
		for _, o := range h.table.ops {
			o := o
			base := func(ctx context.Context, c *Call) (any, error) {
				if c.Rejected != nil {
					return nil, c.Rejected
				}
				return o.call(ctx, h.api, c.Input)
			}
			h.invs[o] = chain(hooks, o.name, base)
		}
	}
	h.unknown = chain(hooks, UnknownOperation, func(_ context.Context, c *Call) (any, error) {
		return nil, c.Rejected
	})
}
