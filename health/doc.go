// Package health runs the active health checks of services with a
// HealthCheckConfig: one scheduler probes every instance over HTTP, HTTPS or
// TCP at a fixed interval and records a status change, and only a change,
// through a Sink.
//
// The probes follow Route 53, which runs Cloud Map's health checks:
//
//   - "How Amazon Route 53 determines whether a health check is healthy"
//     (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
//     HTTP and HTTPS checks must establish a TCP connection within four
//     seconds and then receive a 2xx or 3xx status within two seconds after
//     connecting; HTTPS checks do not validate the certificate; TCP checks
//     must establish a connection within ten seconds; the status changes
//     after FailureThreshold consecutive results the other way, and a new
//     check counts healthy until there is enough data.
//   - Cloud Map's HealthCheckConfig (API reference and the service model):
//     the endpoint is the instance's AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT,
//     the path is ResourcePath (default "/"), a status of 200 to 399 passes,
//     and checkers probe about every 30 seconds.
//   - Route 53 HealthCheckConfig.FullyQualifiedDomainName
//     (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html):
//     without a domain name the Host header is the IP address, followed by
//     ":port" unless the port is 80 for HTTP or 443 for HTTPS; when
//     FailureThreshold is not given it is three.
//   - "Values that you specify when you create or update health checks"
//     (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html):
//     the port defaults to 80 for HTTP and 443 for HTTPS.
//
// Scheduling is a min-heap of next-due times: each target's first probe is
// at a random offset within the interval, then every interval. At most
// Config.Concurrency probes run at once, and targets whose last probe failed
// may hold at most half of them, so endpoints that never answer cannot
// delay the probes of the ones that do.
package health
