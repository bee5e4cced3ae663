package registry

import (
	"fmt"
	"strings"

	"github.com/cloudmap/cloudmap"
)

// Names in DNS. A service with DNS records answers at
// <service>.<namespace>; a service with an SRV record also answers at
// <instance>.<service>.<namespace>, the SRV target of each instance (with
// its A and AAAA records). Two of these names must never be the same name,
// compared as DNS compares names (without regard to case), or one would
// hide the other.

// checkTargetName returns InvalidInput when the SRV target of instance
// instID of svc would be the record name of another service of its
// namespace.
func checkTargetName(tx cloudmap.ReadTx, svc *cloudmap.Service, instID string) error {
	if _, ok := svc.Record(cloudmap.RecordSRV); !ok {
		return nil
	}
	rel := instID + "." + svc.Name
	other, err := dnsService(tx, svc.NamespaceId, rel)
	if err != nil || other == nil {
		return err
	}
	return invalid("InstanceId %q collides with a service name: the SRV target %s of this instance of service %s (%s) is the record name of service %s (%s)",
		instID, rel, svc.Name, svc.Id, other.Name, other.Id)
}

// checkServiceTargets returns InvalidInput when the record name of a new
// service name with DNS records would be the SRV target of an instance
// of another service of the namespace: name is <instance>.<service> for a
// registered instance of an SRV service.
func checkServiceTargets(tx cloudmap.ReadTx, nsID, name string) error {
	for i := strings.IndexByte(name, '.'); i > 0; {
		instID, parent := name[:i], name[i+1:]
		other, err := dnsService(tx, nsID, parent)
		if err != nil {
			return err
		}
		if other != nil {
			if _, srv := other.Record(cloudmap.RecordSRV); srv {
				found, err := findInstanceFold(tx, other.Id, instID)
				if err != nil {
					return err
				}
				if found != "" {
					return invalid("Name %q collides with an SRV target: it is the SRV target of instance %s of service %s (%s)",
						name, found, other.Name, other.Id)
				}
			}
		}
		next := strings.IndexByte(name[i+1:], '.')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return nil
}

// dnsService returns the service of a namespace named name (compared
// without regard to case) when it has DNS records, or nil.
func dnsService(tx cloudmap.ReadTx, nsID, name string) (*cloudmap.Service, error) {
	id, err := getString(tx, svcNameKey(nsID, true, name))
	if err != nil || id == "" {
		return nil, err
	}
	var svc cloudmap.Service
	found, err := getRecord(tx, cloudmap.ServiceKey(id), &svc)
	if err != nil || !found || svc.DnsConfig == nil {
		return nil, err
	}
	return &svc, nil
}

// findInstanceFold returns the id of an instance of the service equal to
// id without regard to case, or "".
func findInstanceFold(tx cloudmap.ReadTx, svcID, id string) (string, error) {
	prefix := cloudmap.InstancePrefix(svcID)
	if found, err := getRecordRaw(tx, prefix+id); err != nil || found {
		if found {
			return id, nil
		}
		return "", err
	}
	var match string
	err := tx.Range(prefix, "", func(k string, _ []byte) bool {
		if rest := strings.TrimPrefix(k, prefix); strings.EqualFold(rest, id) {
			match = rest
		}
		return match == ""
	})
	if err != nil {
		return "", fmt.Errorf("registry: range %s: %w", prefix, err)
	}
	return match, nil
}

// validDNSName checks the labels of a DNS namespace name: 1-63 bytes,
// none empty (a single trailing dot is allowed); RFC 1035 section 2.3.4.
// (The name's length, at most 253, is checked with the model's rules.) It
// returns the rule broken, or "".
func validDNSName(name string) string {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return "it has no label"
	}
	for l := range strings.SplitSeq(n, ".") {
		switch {
		case l == "":
			return "it has an empty label"
		case len(l) > 63:
			return fmt.Sprintf("its label %q is %d bytes long, a DNS label has at most 63", l, len(l))
		}
	}
	return ""
}
