// Package registry holds every rule of the AWS Cloud Map control plane, once:
// validation, idempotency by CreatorRequestId, ResourceInUse preconditions,
// quotas, DNS name collisions and operation records. It implements
// cloudmap.ControlPlane over a cloudmap.Store and writes one Store.Update
// per request. A request that returns an OperationId applies its operation
// in that Update and replies once it is final and visible (execute in
// operation.go); with Config.OperationDelay it queues the operation for the
// worker (worker.go), which also finishes operations a crash left queued.
//
// # Key layout
//
// The records the view reads use the root key functions: cloudmap.NamespaceKey,
// cloudmap.ServiceKey, cloudmap.InstanceKey and cloudmap.HealthKey, with values
// encoded by cloudmap.Encode. Everything else lives under registry's own
// prefixes:
//
//	op/<operation-id>                 operation record (JSON opRecord): final when written by its
//	                                  request; while queued, the Operation plus what to do
//	opq/<operation-id>                queue marker of a queued operation: "" while SUBMITTED,
//	                                  "PENDING <unix ms>" once half of its delay passed (overlaid on op/)
//	opst/<operation-id>               "SUCCESS <unix ms>" once a queued operation succeeded (overlaid
//	                                  on op/, which stays as submitted; a failed one rewrites op/)
//	busy/ns/<namespace-id>            in-progress marker of a namespace with a queued operation
//	busy/svc/<service-id>             in-progress marker of a service (UpdateService)
//	busy/inst/<service-id>/<inst-id>  in-progress marker of an instance (register, deregister)
//	idx/nsname/<TYPE>/<name>          namespace name of its type family -> namespace id (DNS names lower case)
//	idx/httpname/<http-name>          HttpName -> namespace id (unique over all namespaces)
//	idx/svcname/<namespace-id>/<name> service name in its namespace -> service id
//	                                  (lower case in DNS namespaces); counts ServiceCount
//	tag/<resource-id>/<key>           tag value of a namespace or service
//	attr/<service-id>                 service attributes (JSON map)
//	idem/ns/<creator-request-id>      CreatorRequestId of a namespace create -> {hash, operation id}
//	idem/nsupd/<updater-request-id>   UpdaterRequestId of a namespace update -> {hash, operation id}
//	idem/svc/<creator-request-id>     CreatorRequestId of a service -> {hash, service id}
//	idem/inst/<creator-request-id>    CreatorRequestId of a registration -> {hash, operation id}
//
// Those are the keys of one cell (account, region). The default cell's are
// the store's own keys; every other cell's are the same keys under
// cell/<account>/<region>/ (see cell.go). Two kinds of keys belong to no
// cell:
//
//	cells/<account>/<region>           marker of a cell other than the default one, written
//	                                   with its first write; the worker drains the cells it lists
//	vpcns/<vpc>/<reversed name>.       private DNS namespace name in its VPC ->
//	                                   "<cell key prefix> <namespace-id>" (vpc.go)
//
// A namespace create reserves the name (the idx keys) and stores the
// namespace in the same transaction; with an operation delay the worker
// stores the namespace later, and GetNamespace finds it once the operation
// succeeded. Counts (ServiceCount, InstanceCount, quotas) are
// computed with ReadTx.Count when read, never stored.
package registry
