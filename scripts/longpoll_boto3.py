#!/usr/bin/env python3
"""Checks cloudmap's long-poll headers from boto3, the way the README shows:
one event hook adds X-Cloudmap-Index and X-Cloudmap-Wait to
DiscoverInstances, and the call blocks until the service's
InstancesRevision moves past the index.

    go run ./cmd/cloudmap serve --data-dir $(mktemp -d) &
    python3 scripts/longpoll_boto3.py http://127.0.0.1:8080

Not part of `go test ./...` (it needs Python and boto3, e.g. the Debian
package python3-boto3); the same is tested with aws-sdk-go-v2 in
acceptance/longpoll_test.go.
"""
import sys
import threading
import time
import uuid

import boto3
from botocore.config import Config

endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
host = endpoint.split("//", 1)[1].rsplit(":", 1)[0]
if host not in ("127.0.0.1", "localhost", "[::1]"):
    sys.exit("loopback endpoints only")

client = boto3.client(
    "servicediscovery", region_name="us-east-1", endpoint_url=endpoint,
    aws_access_key_id="x", aws_secret_access_key="x",
    # read_timeout above the longest wait; no data- host prefix.
    config=Config(inject_host_prefix=False, read_timeout=660, retries={"max_attempts": 1}))

# The README's hook: the headers come from a per-thread setting.
long_poll = threading.local()


def add_long_poll_headers(request, **kwargs):
    index = getattr(long_poll, "index", None)
    if index is not None:
        request.headers["X-Cloudmap-Index"] = str(index)
        request.headers["X-Cloudmap-Wait"] = getattr(long_poll, "wait", "5m")


client.meta.events.register("before-sign.servicediscovery.DiscoverInstances", add_long_poll_headers)
client.meta.events.register("before-sign.servicediscovery.DiscoverInstancesRevision", add_long_poll_headers)


def wait_op(op_id):
    for _ in range(500):
        op = client.get_operation(OperationId=op_id)["Operation"]
        if op["Status"] in ("SUCCESS", "FAIL"):
            return op
        time.sleep(0.01)
    sys.exit("operation %s did not finish" % op_id)


name = "lp-" + uuid.uuid4().hex[:8]
ns_id = wait_op(client.create_http_namespace(Name=name)["OperationId"])["Targets"]["NAMESPACE"]
svc_id = client.create_service(Name="web", NamespaceId=ns_id)["Service"]["Id"]
wait_op(client.register_instance(ServiceId=svc_id, InstanceId="a", Attributes={"color": "blue"})["OperationId"])
first = client.discover_instances(NamespaceName=name, ServiceName="web")
seen = first["InstancesRevision"]

failures = 0

# 1. An idle wait ends with the state unchanged.
long_poll.index, long_poll.wait = seen, "100ms"
out = client.discover_instances(NamespaceName=name, ServiceName="web")
ok = out["InstancesRevision"] == seen
print(("ok  " if ok else "FAIL") + " idle wait answers revision %d (seen %d)" % (out["InstancesRevision"], seen))
failures += not ok

# 2. A registration during the wait ends it with the new state.
result = {}


def poll():
    long_poll.index, long_poll.wait = seen, "10m"
    result["out"] = client.discover_instances(NamespaceName=name, ServiceName="web")


t = threading.Thread(target=poll)
t.start()
wait_op(client.register_instance(ServiceId=svc_id, InstanceId="b", Attributes={"color": "green"})["OperationId"])
t.join(60)
out = result.get("out")
ok = out is not None and out["InstancesRevision"] != seen and \
    sorted(i["InstanceId"] for i in out["Instances"]) == ["a", "b"]
got = out and (out["InstancesRevision"], sorted(i["InstanceId"] for i in out["Instances"]))
print(("ok  " if ok else "FAIL") + " registration ends the wait: " + repr(got))
failures += not ok

# 3. A bad header is InvalidInput naming it.
long_poll.index, long_poll.wait = seen, "11m"
try:
    client.discover_instances(NamespaceName=name, ServiceName="web")
    print("FAIL wait over 10m: no error")
    failures += 1
except client.exceptions.InvalidInput as e:
    ok = "X-Cloudmap-Wait" in str(e)
    print(("ok  " if ok else "FAIL") + " wait over 10m: " + e.response["Error"]["Message"])
    failures += not ok
long_poll.index = None

sys.exit(1 if failures else 0)
