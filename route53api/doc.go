// Package route53api serves a read-only Route 53 API (REST-XML, API
// version 2013-04-01) for the hosted zones behind cloudmap's DNS
// namespaces, so that the Cloud Map guide's steps that read Route 53 work
// with the unmodified aws CLI and SDKs:
//
//	aws route53 get-hosted-zone --id Z...            # DelegationSet.NameServers
//	aws route53 list-resource-record-sets --hosted-zone-id Z...
//
// # Operations
//
// GetHostedZone, GetHostedZoneCount, ListHostedZones,
// ListHostedZonesByName and ListResourceRecordSets, for the zone of every
// DNS namespace, under the HostedZoneId GetNamespace reports. A public
// zone has a DelegationSet (the names of its apex NS records); a private
// zone has Config.PrivateZone and the VPC the namespace was created for.
// Every zone carries LinkedService (servicediscovery.amazonaws.com and the
// namespace ARN), as Route 53 shows for zones Cloud Map manages.
//
// The record sets are those the DNS server answers from (Zones.RecordSets):
// the apex NS and SOA, the name servers' glue, and one set per instance and
// record type with SetIdentifier = instance ID and MultiValueAnswer true
// (MULTIVALUE services) or Weight 1 (WEIGHTED services). They are sorted as
// Route 53 sorts them: by name with the labels reversed
// ("com.example.www."), then type, then set identifier; paging follows
// StartRecordName, StartRecordType and StartRecordIdentifier.
//
// Every write (ChangeResourceRecordSets, CreateHostedZone,
// DeleteHostedZone, ...) answers 403 AccessDenied naming the action, as
// Route 53 answers for a zone managed by Cloud Map ("The resource
// hostedzone/Z... can only be managed through servicediscovery.amazonaws.com
// (arn:...)"). Other reads (health checks, traffic policies, ...) answer
// InvalidAction.
//
// # Errors
//
// Route 53's XML envelope:
//
//	<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code>
//	<Message>No hosted zone found with ID: Z1</Message></Error>
//	<RequestId>...</RequestId></ErrorResponse>
//
// Unknown zone ids: 404 NoSuchHostedZone. Ids longer than 32 characters or
// with characters other than letters and digits, bad MaxItems, markers and
// start names or types: 400 InvalidInput naming the member and the rule; a
// bad DNSName of ListHostedZonesByName: InvalidDomainName. Authentication
// errors use the codes of Route 53's common errors (AccessDenied,
// SignatureDoesNotMatch, InvalidClientTokenId, IncompleteSignature,
// MissingAuthenticationToken, Throttling).
//
// # Sources
//
// The shapes are those of the botocore route53 model (2013-04-01) and the
// aws-sdk-go-v2 route53 deserializers; see docs/architecture.md.
package route53api
