#!/bin/sh
# route53_cli.sh: the Cloud Map guide's steps for a public DNS namespace,
# with the aws CLI against a running cloudmap, then the Route 53 side of
# it: 1 create the namespace, 2b get the operation, 2c get the namespace
# (its hosted zone id), 2d get the hosted zone (its name servers); register
# instances and list their record sets; dig NS and SOA at the apex and
# compare them with get-hosted-zone; check the errors of a few bad calls.
# Every step is checked; the script exits non-zero at the first mismatch.
#
#   go run ./cmd/cloudmap serve --dns-nameservers ns1.example.com=127.0.0.1 &
#   scripts/route53_cli.sh
#
# Environment: CLOUDMAP_ENDPOINT (default http://127.0.0.1:8080),
# CLOUDMAP_DNS_HOST and CLOUDMAP_DNS_PORT (127.0.0.1, 8053),
# CLOUDMAP_NAMESPACE (a new name per run; give a name the --dns-nameservers
# hosts lie in to see their glue in the NS answer), and the usual
# AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (default x/x: enough for a
# server without keys on loopback). dig is optional: without it the DNS
# checks are skipped. Not part of go test: it needs the aws CLI.
set -eu

E=${CLOUDMAP_ENDPOINT:-http://127.0.0.1:8080}
DNS_HOST=${CLOUDMAP_DNS_HOST:-127.0.0.1}
DNS_PORT=${CLOUDMAP_DNS_PORT:-8053}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-x} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-x}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} AWS_PAGER=""
NS_NAME=${CLOUDMAP_NAMESPACE:-"cli-$(date +%s)-$$.example.com"}

sd() { aws --endpoint-url "$E" servicediscovery "$@"; }
r53() { aws --endpoint-url "$E" route53 "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# wait_op polls get-operation until the operation is final and prints its
# status.
wait_op() {
	i=0
	while :; do
		st=$(sd get-operation --operation-id "$1" --query Operation.Status --output text)
		case $st in SUCCESS | FAIL) echo "$st"; return ;; esac
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "operation $1 still $st"
		sleep 0.1
	done
}

# expect_error runs a command that must fail with the error code $1.
expect_error() {
	code=$1
	shift
	if out=$("$@" 2>&1); then
		fail "$* succeeded, want $code"
	fi
	echo "$out" | grep -q "($code)" || fail "$*: want $code, got: $out"
	echo "   $code: $(echo "$out" | grep 'An error occurred' | sed 's/.*operation: //')"
}

step "1  create-public-dns-namespace $NS_NAME"
op=$(sd create-public-dns-namespace --name "$NS_NAME" --query OperationId --output text)
[ "$(wait_op "$op")" = SUCCESS ] || fail "create namespace"

step "2b get-operation $op"
ns_id=$(sd get-operation --operation-id "$op" --query Operation.Targets.NAMESPACE --output text)
echo "   namespace $ns_id"

step "2c get-namespace $ns_id"
zone=$(sd get-namespace --id "$ns_id" --query Namespace.Properties.DnsProperties.HostedZoneId --output text)
echo "   hosted zone $zone"

step "2d route53 get-hosted-zone --id $zone"
r53 get-hosted-zone --id "$zone"
servers=$(r53 get-hosted-zone --id "$zone" --query 'DelegationSet.NameServers' --output text | tr '\t' '\n' | sort)
[ -n "$servers" ] || fail "no name servers"
[ "$(r53 get-hosted-zone --id "/hostedzone/$zone" --query HostedZone.Name --output text)" = "$NS_NAME." ] ||
	fail "zone name is not $NS_NAME."

step "3  create-service web (MULTIVALUE A) and register two instances"
srv=$(sd create-service --name web --namespace-id "$ns_id" \
	--dns-config 'RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=60}]' --query Service.Id --output text)
for i in 1 2; do
	op=$(sd register-instance --service-id "$srv" --instance-id "web-$i" \
		--attributes "AWS_INSTANCE_IPV4=192.0.2.$i" --query OperationId --output text)
	[ "$(wait_op "$op")" = SUCCESS ] || fail "register web-$i"
done

step "4  route53 list-resource-record-sets --hosted-zone-id $zone"
r53 list-resource-record-sets --hosted-zone-id "$zone"
sets=$(r53 list-resource-record-sets --hosted-zone-id "$zone" \
	--query "ResourceRecordSets[?Name=='web.$NS_NAME.'].[SetIdentifier,MultiValueAnswer,ResourceRecords[0].Value]" --output text)
echo "$sets" | grep -q "web-1	True	192.0.2.1" || fail "no record set for web-1: $sets"
echo "$sets" | grep -q "web-2	True	192.0.2.2" || fail "no record set for web-2: $sets"
# The CLI pages with MaxItems and StartRecordName/Type/Identifier.
paged=$(r53 list-resource-record-sets --hosted-zone-id "$zone" --page-size 1 --query 'length(ResourceRecordSets)' --output json)
count=$(r53 get-hosted-zone --id "$zone" --query HostedZone.ResourceRecordSetCount --output text)
[ "$paged" = "$count" ] || fail "paging by one gives $paged record sets, ResourceRecordSetCount is $count"
echo "   $paged record sets, paged one by one"
r53 list-hosted-zones-by-name --dns-name "$NS_NAME" --max-items 1 --query 'HostedZones[0].[Id,Name]' --output text
r53 list-hosted-zones --query 'length(HostedZones)' --output text >/dev/null

if command -v dig >/dev/null 2>&1; then
	step "5  dig NS and SOA at the apex"
	dns_ns=$(dig +short @"$DNS_HOST" -p "$DNS_PORT" "$NS_NAME" NS | sed 's/\.$//' | sort)
	[ "$dns_ns" = "$servers" ] || fail "dig NS: $dns_ns; get-hosted-zone: $servers"
	mname=$(dig +short @"$DNS_HOST" -p "$DNS_PORT" "$NS_NAME" SOA | cut -d' ' -f1 | sed 's/\.$//')
	echo "$servers" | grep -qx "$mname" || fail "SOA MNAME $mname is not a listed name server"
	soa_r53=$(r53 list-resource-record-sets --hosted-zone-id "$zone" \
		--query "ResourceRecordSets[?Type=='SOA'].ResourceRecords[0].Value" --output text)
	soa_dns=$(dig +short @"$DNS_HOST" -p "$DNS_PORT" "$NS_NAME" SOA)
	[ "$soa_r53" = "$soa_dns" ] || fail "SOA: route53 $soa_r53, dig $soa_dns"
	echo "   NS $(echo "$dns_ns" | tr '\n' ' ')= get-hosted-zone; SOA $soa_dns"
	dig +norec @"$DNS_HOST" -p "$DNS_PORT" "$NS_NAME" NS | sed -n '/ADDITIONAL SECTION/,/^$/p'
else
	echo "== 5  dig not found: DNS checks skipped"
fi

step "6  errors"
expect_error NoSuchHostedZone r53 get-hosted-zone --id Z00000000000000NOPE
expect_error InvalidInput r53 get-hosted-zone --id ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ
expect_error InvalidInput r53 list-resource-record-sets --hosted-zone-id "$zone" --start-record-type A
expect_error AccessDenied r53 change-resource-record-sets --hosted-zone-id "$zone" \
	--change-batch "{\"Changes\":[{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"x.$NS_NAME\",\"Type\":\"A\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":\"192.0.2.9\"}]}}]}"
expect_error AccessDenied r53 delete-hosted-zone --id "$zone"
expect_error AccessDenied r53 create-hosted-zone --name other.example.com --caller-reference "r-$$"

step "7  clean up"
for i in 1 2; do
	op=$(sd deregister-instance --service-id "$srv" --instance-id "web-$i" --query OperationId --output text)
	wait_op "$op" >/dev/null
done
sd delete-service --id "$srv"
op=$(sd delete-namespace --id "$ns_id" --query OperationId --output text)
wait_op "$op" >/dev/null
echo "OK"
