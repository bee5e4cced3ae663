// Package dnsserver is the authoritative DNS server for every DNS namespace
// (DNS_PRIVATE and DNS_PUBLIC), answering as the Route 53 hosted zone behind
// a Cloud Map namespace would. All DNS logic is in Server.Answer, a pure
// function of the query, the client address and the live view (Source);
// Start adds UDP and TCP sockets around it.
//
//	dig @127.0.0.1 -p 8053 web.example.local SRV
//
// # Records
//
// Each namespace is a zone. A service of the namespace with a DnsConfig
// (and a type other than HTTP) owns <service>.<namespace>, with A records
// from AWS_INSTANCE_IPV4, AAAA from AWS_INSTANCE_IPV6, SRV "1 1
// <AWS_INSTANCE_PORT> <instance-id>.<service>.<namespace>." and CNAME from
// AWS_INSTANCE_CNAME, each with the TTL of its DnsRecord. A name exists
// while some instance gives it a record (a service without instances is
// NXDOMAIN, like the empty record set in Route 53). SRV targets answer A
// and AAAA from their instance. A CNAME answers every query type with the
// CNAME alone (no chasing). Owner names are spelled as in the question.
//
// # Routing
//
// MULTIVALUE answers up to 8 records chosen at random among the healthy
// instances (all of them when 8 or fewer are healthy), and up to 8
// unhealthy ones when none is healthy (Route 53 multivalue answer routing).
// WEIGHTED answers one random healthy record, or one random record when
// none is healthy. Services without a health check count every instance
// healthy. Records are shuffled. A service's attribute
// cloudmap.dns-max-answers=N (1–100, a cloudmap extension) replaces the 8
// for that service; an answer too big for UDP is truncated and served whole
// over TCP, as any other.
//
// # Zone
//
// The apex has an SOA (serial Source.ZoneSerial, TTL the namespace's SOA
// TTL, timers 7200 900 1209600 86400) and NS records (TTL 172800). With
// Config.NameServers (--dns-nameservers) the NS records name those hosts,
// the SOA MNAME is the first and its RNAME hostmaster.<zone>; a host whose
// name lies in the zone answers its A/AAAA there and comes as glue in the
// additional section of NS answers. Without them the SOA is
// ns-1.cloudmap.invalid. hostmaster.cloudmap.invalid. and the one NS
// record ns-1.cloudmap.invalid. SRV answers carry their targets' A and
// AAAA records in the additional section, as Route 53's do. RecordSets
// lists a zone's records as the Route 53 hosted zone holds them. Missing names get NXDOMAIN, names
// without the asked type NODATA, both with the SOA in the authority section
// with TTL min(SOA TTL, MINIMUM) (RFC 2308). Empty non-terminals (such as
// _tcp.<ns> under _http._tcp.<ns>) are NODATA when the Source implements
// NameTree. Answers from a zone have AA set. Names in no visible namespace
// get REFUSED. RA is never set; RD is copied.
//
// # Protocol
//
// Opcodes other than QUERY: NOTIMP. Zero or several questions: FORMERR.
// Classes other than IN (CHAOS, ANY, ...): NOTIMP. AXFR and IXFR: REFUSED.
// ANY: one record set (RFC 8482). EDNS0: the reply carries an OPT record
// (payload 1232, DO copied) when the query had one; EDNS versions other
// than 0 get BADVERS. Over UDP a reply fits in 512 bytes, or in the
// client's EDNS0 size (at least 512, at most 4096); when it does not fit
// even compressed, the additional records are dropped (without TC), and if
// it still does not fit, TC is set and the answer and authority sections
// are emptied (no partial RRsets, RFC 2181 section 9), and TCP returns the
// whole answer. UDP packets shorter than a header and responses are dropped;
// unreadable queries with a readable header get a header-only FORMERR.
//
// # Visibility
//
// DNS_PRIVATE namespaces are visible only to the clients of their VPC: the
// networks Config.VPCs declares for it, or Config.PrivateCIDRs (default
// DefaultPrivateCIDRs) when their VPC is not declared; DNS_PUBLIC ones to
// everyone. Namespaces of every cell (account, region) are served; among
// namespaces of the same name, a client sees the oldest private one
// visible to it, else the oldest public one (Route 53 answers a VPC from
// the private zone associated with it, the Internet from the public one).
// The most specific visible zone containing the name answers.
//
// # Serving
//
// Each UDP socket (one per CPU with SO_REUSEPORT by default) is served by
// one goroutine that reads, answers and writes with reused buffers, with no
// goroutine per query. TCP uses miekg/dns's server. An optional per-client
// token bucket (Config.RateLimit) limits UDP responses; over the limit,
// every second query gets an empty TC=1 reply and the others are dropped.
// Nothing is cached: every query reads the Source.
package dnsserver
