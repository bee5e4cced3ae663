package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Private namespaces of one VPC. A private DNS namespace is a Route 53
// private hosted zone associated with its VPC, and Route 53 refuses a
// private zone whose name is the same as, a parent of, or a child of the
// name of another private zone of the same VPC (ConflictingDomainExists,
// "you can't use the same Amazon VPC for the hosted zones for example.com
// and test.example.com"). In Cloud Map the namespace's operation then
// fails with ErrorCode CANNOT_CREATE_HOSTED_ZONE. The rule is enforced for
// VPCs declared to the server (Config.DeclaredVPC, --vpc), whose clients
// are known; namespaces of undeclared VPCs keep the looser behaviour of a
// server without VPCs. VPC IDs are global, so the rule spans cells: the
// index lives in the store's own key space:
//
//	vpcns/<vpc>/<name, labels reversed, lower case>.   -> "<cell key prefix> <namespace-id>"

const prefixVPCName = "vpcns/"

// ErrorCode of an operation whose hosted zone could not be created.
const errCannotCreateHostedZone = "CANNOT_CREATE_HOSTED_ZONE"

// vpcNameKey is the index key of a private namespace name in its VPC.
func vpcNameKey(vpc, name string) string {
	return prefixVPCName + vpc + "/" + reverseLabels(name) + "."
}

// reverseLabels returns name (lower case, without its trailing dot) with
// its labels in reverse order: "a.corp" -> "corp.a".
func reverseLabels(name string) string {
	labels := strings.Split(strings.ToLower(strings.TrimSuffix(name, ".")), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// rootTx returns the transaction on the store's own key space beneath a
// cell's view of it.
func rootTx(tx cloudmap.Tx) cloudmap.Tx {
	if ct, ok := tx.(*cellTx); ok {
		return ct.tx
	}
	return tx
}

// vpcConflict returns the name of a private namespace of the VPC that
// overlaps name (equal, parent or child), or "".
func vpcConflict(tx cloudmap.ReadTx, vpc, name string) (string, error) {
	base := prefixVPCName + vpc + "/"
	rev := reverseLabels(name)
	var found string
	if err := tx.Range(base+rev+".", "", func(k string, _ []byte) bool {
		found = k
		return false
	}); err != nil {
		return "", fmt.Errorf("registry: range %s: %w", base, err)
	}
	for i := strings.LastIndexByte(rev, '.'); found == "" && i > 0; i = strings.LastIndexByte(rev[:i], '.') {
		k := base + rev[:i] + "."
		if _, err := tx.Get(k); err == nil {
			found = k
		} else if !errors.Is(err, cloudmap.ErrKeyNotFound) {
			return "", fmt.Errorf("registry: get %s: %w", k, err)
		}
	}
	if found == "" {
		return "", nil
	}
	return reverseLabels(strings.TrimSuffix(strings.TrimPrefix(found, base), ".")), nil
}

// reserveVPCName indexes a new private namespace in its VPC. For a
// declared VPC it first checks the overlap rule, and returns the failed
// operation's message when the name overlaps.
func (r *Registry) reserveVPCName(tx cloudmap.Tx, req nsRequest, cellPrefix, nsID string) (conflict string, err error) {
	if req.Type != cloudmap.NamespaceDNSPrivate || req.Vpc == "" {
		return "", nil
	}
	root := rootTx(tx)
	if r.cfg.DeclaredVPC != nil && r.cfg.DeclaredVPC(req.Vpc) {
		other, err := vpcConflict(root, req.Vpc, req.Name)
		if err != nil || other != "" {
			if other != "" {
				conflict = fmt.Sprintf("ConflictingDomainExists: the VPC %s is already associated with the private hosted zone %s, "+
					"whose name is the same as, a parent of or a child of %s", req.Vpc, other, strings.ToLower(strings.TrimSuffix(req.Name, ".")))
			}
			return conflict, err
		}
	}
	return "", putString(root, vpcNameKey(req.Vpc, req.Name), cellPrefix+" "+nsID)
}

// releaseVPCName removes a deleted private namespace from its VPC's index.
func releaseVPCName(tx cloudmap.Tx, ns *cloudmap.Namespace) error {
	if ns.Type != cloudmap.NamespaceDNSPrivate || ns.Vpc == "" {
		return nil
	}
	root := rootTx(tx)
	k := vpcNameKey(ns.Vpc, ns.Name)
	owner, err := getString(root, k)
	if err != nil || !strings.HasSuffix(owner, " "+ns.Id) {
		return err
	}
	return del(root, k)
}

// failedOp stores the operation of a request that failed at once: FAIL,
// with code and message, final.
func failedOp(tx cloudmap.Tx, op *opRecord, code, msg string) error {
	op.Status, op.ErrorCode, op.ErrorMessage = cloudmap.OpFail, code, msg
	op.Busy, op.Namespace, op.Tags = "", nil, nil
	return put(tx, opKey(op.Id), op)
}
