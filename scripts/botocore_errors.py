#!/usr/bin/env python3
"""Checks that botocore (the library under the aws CLI and boto3) decodes
every Cloud Map error cloudmap returns as the modeled exception.

    go run ./cmd/cloudmap serve --max-namespaces 3 --data-dir $(mktemp -d) &
    python3 scripts/botocore_errors.py http://127.0.0.1:8080
    # throttling, against a server started with --rate-limit 5:
    python3 scripts/botocore_errors.py http://127.0.0.1:8080 rate

Not part of `go test ./...` (it needs Python and botocore); run it by hand
when the wire format changes.
"""
import os
import sys
import time
import uuid

import botocore.session
from botocore.config import Config

endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
host = endpoint.split("//", 1)[1].split(":")[0]
if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
    sys.exit("loopback endpoints only")
session = botocore.session.get_session()
c = session.create_client(
    "servicediscovery", region_name="us-east-1", endpoint_url=endpoint,
    aws_access_key_id="x", aws_secret_access_key="x",
    config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))

failures = 0


def expect(code, fn, **kw):
    global failures
    try:
        fn(**kw)
    except c.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        modeled = getattr(c.exceptions, code, None)
        ok = got == code and (modeled is None or isinstance(e, modeled))
        print(("ok   " if ok else "FAIL ") + code + ": " + e.response["Error"]["Message"][:90])
        failures += 0 if ok else 1
        return e
    print("FAIL " + code + ": no error")
    failures += 1


def wait(op_id):
    for _ in range(200):
        op = c.get_operation(OperationId=op_id)["Operation"]
        if op["Status"] in ("SUCCESS", "FAIL"):
            return op
        time.sleep(0.02)
    raise SystemExit("operation did not finish")


if len(sys.argv) > 2 and sys.argv[2] == "rate":
    for i in range(50):
        try:
            c.list_namespaces()
        except c.exceptions.ClientError as e:
            code = e.response["Error"]["Code"]
            ok = code == "RequestLimitExceeded" and isinstance(e, c.exceptions.RequestLimitExceeded)
            print(("ok   " if ok else "FAIL ") + code + ": " + e.response["Error"]["Message"][:90])
            sys.exit(0 if ok else 1)
    sys.exit("FAIL RequestLimitExceeded: start the server with --rate-limit 5")

suffix = uuid.uuid4().hex[:8]
ns = wait(c.create_http_namespace(Name="bc-" + suffix)["OperationId"])["Targets"]["NAMESPACE"]
svc = c.create_service(Name="s", NamespaceId=ns)["Service"]["Id"]
missing_ns, missing_svc = "ns-aaaaaaaaaaaaaaaa", "srv-aaaaaaaaaaaaaaaa"

expect("NamespaceNotFound", c.get_namespace, Id=missing_ns)
expect("ServiceNotFound", c.get_service, Id=missing_svc)
expect("InstanceNotFound", c.get_instance, ServiceId=svc, InstanceId="nope")
expect("OperationNotFound", c.get_operation, OperationId="nope")
expect("InvalidInput", c.list_namespaces, NextToken="garbage")
expect("ResourceNotFoundException", c.list_tags_for_resource,
       ResourceARN="arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + missing_ns)
e = expect("NamespaceAlreadyExists", c.create_http_namespace, Name="bc-" + suffix)
e = expect("ServiceAlreadyExists", c.create_service, Name="s", NamespaceId=ns)
if e is not None and e.response.get("ServiceId") != svc:
    print("FAIL ServiceAlreadyExists.ServiceId =", e.response.get("ServiceId"))
    failures += 1
c.register_instance(ServiceId=svc, InstanceId="i-1", Attributes={"k": "v"})
req = "dup-" + suffix
c.create_http_namespace(Name="dupa-" + suffix, CreatorRequestId=req)
expect("DuplicateRequest", c.create_http_namespace, Name="dupb-" + suffix, CreatorRequestId=req)
time.sleep(0.2)
expect("ResourceInUse", c.delete_service, Id=svc)
expect("CustomHealthNotFound", c.update_instance_custom_health_status, ServiceId=svc, InstanceId="i-1", Status="HEALTHY")
c.update_service_attributes(ServiceId=svc, Attributes={"x": "y"})
expect("ServiceAttributesLimitExceededException", c.update_service_attributes, ServiceId=svc,
       Attributes={"k%d" % i: "v" for i in range(30)})
expect("TooManyTagsException", c.tag_resource, ResourceARN=c.get_service(Id=svc)["Service"]["Arn"],
       Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
for i in range(5):
    try:
        c.create_http_namespace(Name="q%d-%s" % (i, suffix))
    except c.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "ResourceLimitExceeded":
            print("ok   ResourceLimitExceeded: " + e.response["Error"]["Message"][:90])
            break
        if e.response["Error"]["Code"] != "RequestLimitExceeded":
            raise
else:
    print("FAIL ResourceLimitExceeded: start the server with --max-namespaces 3")
    failures += 1
print("%d failed" % failures)
sys.exit(1 if failures else 0)
