"""Fault injection for the tests: a mitmproxy addon, run in reverse-proxy mode between
prefect-tui and an emulator (moto or the Prefect server).

    mitmdump --mode reverse:http://127.0.0.1:MOTO --listen-host 127.0.0.1 --listen-port P \
        -s scripts/fault_proxy.py --set fault_rate=0.2 --set fault_seed=7 \
        --set fault_stats=/path/stats.json

For each request, with probability fault_rate (drawn from a generator seeded with
fault_seed), one fault of fault_kinds, chosen evenly:

    throttle   the service's own throttling error, in its protocol's shape: JSON with
               `__type` (ECS, CloudWatch Logs, Secrets Manager, EventBridge, SQS), the EC2
               query protocol's <Response><Errors> (RequestLimitExceeded, 503), the query protocol's
               <ErrorResponse> (IAM, STS: Throttling, 400); for a non-AWS server, 429
    error500   500 InternalFailure (AWS shape) or a plain 500
    error503   503 ServiceUnavailable
    latency    the request goes through after fault_latency_ms (a uniform draw up to it)
    drop       the connection is closed before the request reaches the emulator
    lost       the request reaches the emulator, its answer is dropped on the way back

Only requests whose User-Agent contains fault_user_agent are touched (so a worker sharing
an address with the program under test is left alone). The counts of what was injected,
by kind and by service, are rewritten to fault_stats after every injection.
"""

import asyncio
import json
import os
import random
import re
import threading
import uuid

from mitmproxy import ctx, http

KINDS = ("throttle", "error500", "error503", "latency", "drop", "lost")

JSON_TARGETS = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "Logs_20140328": "logs",
    "secretsmanager": "secretsmanager",
    "AmazonSQS": "sqs",  # JSON 1.0; its errors read `__type` the same way
    "AWSEvents": "events",
}
SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")


def service_of(flow: http.HTTPFlow):
    """(service, protocol): protocol is json, ec2, query, or None for a non-AWS server."""
    target = flow.request.headers.get("x-amz-target", "")
    if target:
        prefix = target.split(".", 1)[0]
        return JSON_TARGETS.get(prefix, prefix.lower()), "json"
    match = SCOPE.search(flow.request.headers.get("authorization", ""))
    if match:
        service = match.group(1)
        return service, "ec2" if service == "ec2" else "query"
    return "http", None


def aws_error(protocol, status, code, message):
    request_id = str(uuid.uuid4())
    if protocol == "json":
        return http.Response.make(
            status,
            json.dumps({"__type": code, "message": message}),
            {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": request_id},
        )
    if protocol == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
            f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    else:
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
            f"</ErrorResponse>"
        )
    return http.Response.make(status, body, {"content-type": "text/xml", "x-amzn-requestid": request_id})


def fault_response(kind, protocol):
    if protocol is None:
        status = {"throttle": 429, "error500": 500, "error503": 503}[kind]
        return http.Response.make(
            status,
            json.dumps({"detail": f"injected {kind}"}),
            {"content-type": "application/json", "retry-after": "0"},
        )
    if kind == "throttle":
        if protocol == "ec2":
            return aws_error(protocol, 503, "RequestLimitExceeded", "Request limit exceeded.")
        if protocol == "json":
            return aws_error(protocol, 400, "ThrottlingException", "Rate exceeded")
        return aws_error(protocol, 400, "Throttling", "Rate exceeded")
    if kind == "error500":
        return aws_error(protocol, 500, "InternalFailure", "injected internal failure")
    return aws_error(protocol, 503, "ServiceUnavailable", "injected: service unavailable")


class FaultInjector:
    def __init__(self):
        self.random = random.Random(0)
        self.lock = threading.Lock()
        self.counts = {"requests_seen": 0, "faults": 0, "by_kind": {}, "by_service": {}}

    def load(self, loader):
        # mitmproxy options take no floats: the rate is a string such as "0.2".
        loader.add_option("fault_rate", str, "0.2", "share of requests that get a fault")
        loader.add_option("fault_seed", int, 1, "seed of the fault generator")
        loader.add_option("fault_kinds", str, ",".join(KINDS), "comma-separated kinds")
        loader.add_option("fault_latency_ms", int, 800, "longest added latency")
        loader.add_option("fault_user_agent", str, "", "fault only these clients")
        loader.add_option("fault_stats", str, "", "where to write the counts (JSON)")

    def configure(self, updated):
        if "fault_seed" in updated:
            self.random = random.Random(ctx.options.fault_seed)
        kinds = [k.strip() for k in ctx.options.fault_kinds.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {KINDS}")
        self.kinds = kinds
        self.rate = float(ctx.options.fault_rate)

    def _decide(self, flow):
        with self.lock:
            self.counts["requests_seen"] += 1
            if ctx.options.fault_user_agent not in flow.request.headers.get("user-agent", ""):
                return None, 0
            if self.random.random() >= self.rate:
                return None, 0
            return self.random.choice(self.kinds), self.random.uniform(0, ctx.options.fault_latency_ms)

    def _count(self, kind, service):
        with self.lock:
            self.counts["faults"] += 1
            by_kind = self.counts["by_kind"]
            by_kind[kind] = by_kind.get(kind, 0) + 1
            by_service = self.counts["by_service"]
            by_service[service] = by_service.get(service, 0) + 1
            path = ctx.options.fault_stats
            if path:
                tmp = path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(self.counts, f)
                os.replace(tmp, path)

    async def request(self, flow: http.HTTPFlow):
        kind, delay_ms = self._decide(flow)
        if kind is None:
            return
        service, protocol = service_of(flow)
        self._count(kind, service)
        if kind == "latency":
            await asyncio.sleep(delay_ms / 1000)
        elif kind == "drop":
            flow.kill()
        elif kind == "lost":
            flow.metadata["fault_lost"] = True
        else:
            flow.response = fault_response(kind, protocol)

    def response(self, flow: http.HTTPFlow):
        if flow.metadata.get("fault_lost"):
            flow.kill()


addons = [FaultInjector()]
