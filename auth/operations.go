package auth

// operations are the 30 operations of the AWS Cloud Map model. Action
// patterns in a credentials file must match at least one of them, so that a
// typo such as "servicediscovery:Discovr*" is an error and not a silent
// denial.
var operations = []string{
	"CreateHttpNamespace", "CreatePrivateDnsNamespace", "CreatePublicDnsNamespace",
	"CreateService", "DeleteNamespace", "DeleteService", "DeleteServiceAttributes",
	"DeregisterInstance", "DiscoverInstances", "DiscoverInstancesRevision",
	"GetInstance", "GetInstancesHealthStatus", "GetNamespace", "GetOperation",
	"GetService", "GetServiceAttributes", "ListInstances", "ListNamespaces",
	"ListOperations", "ListServices", "ListTagsForResource", "RegisterInstance",
	"TagResource", "UntagResource", "UpdateHttpNamespace",
	"UpdateInstanceCustomHealthStatus", "UpdatePrivateDnsNamespace",
	"UpdatePublicDnsNamespace", "UpdateService", "UpdateServiceAttributes",
}

// actionPrefix is the IAM service prefix of every Cloud Map action.
const actionPrefix = "servicediscovery:"
