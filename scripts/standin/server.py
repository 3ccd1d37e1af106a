"""server: moto's server and the stand-in for Fargate, in one process.

The AWS SDK (the program under test, the tests, the workers) talks to moto's server over
HTTP as it would to AWS; the stand-in shares the process so it can keep ECS's state in
moto's own backend objects (see ecs_state). Each ECS request is answered under
`ecs_state.lock`, so a response never shows a change half made. Other services are served
exactly as by `moto_server`.

Requests signed with the task role keys the stand-in hands out are checked against the
role's IAM policies (iam.py; --no-task-role-enforcement turns that off); all others are
served unchecked, as by `moto_server`.

Test infrastructure only: it listens on loopback and nowhere else, and the tasks it runs get
the emulator's address and keys made by the emulator, never real credentials.

    fargate_standin.py --port PORT --region REGION [--poll 1.0] [--default-stop-timeout 30]
                       [--pull-timeout 3] [--exits-at-once IMAGE]... [--no-task-role-enforcement]
                       [--in-vpc-relay TARGET_PORT [--in-vpc-relay-port PORT]] [--request-log FILE]
                       [--endpoint-delete-seconds 2] [--nat-delete-seconds 2] [--cluster-update-seconds 1]

--in-vpc-relay opens a loopback port forwarding to TARGET_PORT (the Prefect server's), on
--in-vpc-relay-port or a free one: the address of that server inside the VPC, which tasks of
any subnet reach, where the server's own address stands for one on the internet (reach.py).
It logs "Prefect in the VPC: 127.0.0.1:PORT relays to 127.0.0.1:TARGET_PORT".

--exits-at-once names an image (exactly as task definitions give it, tag included) whose
containers the stand-in treats as broken: they start, write one line to stderr and exit
with code 1 at once, whatever their command (processes.py), for tests of a failed upgrade.

It prints "watching ECS services in REGION at URL" once it serves requests and schedules
(services and RunTask tasks alike).
On SIGTERM or SIGINT it stops every task and records it STOPPED (with its last log lines
shipped) before the server goes.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
from typing import Any

log = logging.getLogger("standin")

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."


class EcsConsistency:
    """WSGI middleware: an ECS request is answered whole under the state lock."""

    def __init__(self, app: Any, lock: Any):
        self._app, self._lock = app, lock

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(ECS_TARGET_PREFIX):
            return self._app(environ, start_response)
        with self._lock:
            body = self._app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()


class MotoServer:
    """moto's WSGI application on a werkzeug server thread, as `moto_server` runs it."""

    def __init__(self, host: str, port: int, lock: Any):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)
        app.debug = True  # as moto_server sets it
        self._server = make_server(host, port, EcsConsistency(app, lock), threaded=True,
                                   request_handler=MotoRequestHandler)
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="moto")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def require_loopback(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"fargate_standin: refusing to listen on {host!r}: only loopback")


def quiet_environment(port: int) -> None:
    """Nothing of this machine's AWS setup or proxies may reach the emulator or its tasks."""
    for name in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    # moto_server sets it too; some responses (queue URLs and the like) carry the port.
    os.environ.setdefault("MOTO_PORT", str(port))


def route_request_log(path: str | None) -> None:
    """werkzeug's one line per request: to its own file, or nowhere."""
    requests = logging.getLogger("werkzeug")
    requests.propagate = False
    if path:
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter("%(message)s"))
        requests.addHandler(handler)
        requests.setLevel(logging.INFO)
    else:
        requests.setLevel(logging.WARNING)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="moto's server with a stand-in for Fargate")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--region", required=True, help="the region whose ECS services it runs")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between scheduling passes")
    parser.add_argument("--default-stop-timeout", type=float, default=30.0,
                        help="seconds from SIGTERM to SIGKILL when a container sets no stopTimeout "
                             "(Fargate's default is 30)")
    parser.add_argument("--pull-timeout", type=float, default=3.0,
                        help="seconds a task whose subnet has no way out stays PENDING before it fails "
                             "to start (Fargate retries for about a minute)")
    parser.add_argument("--exits-at-once", action="append", default=[], metavar="IMAGE",
                        help="an image whose containers exit with code 1 at once, whatever their command "
                             "(repeatable; the stand-in runs no images, so it is told which are broken)")
    parser.add_argument("--no-task-role-enforcement", action="store_true",
                        help="serve requests signed with task role keys unchecked, like all others")
    parser.add_argument("--in-vpc-relay", type=int, metavar="TARGET_PORT",
                        help="open a loopback relay to this port (the Prefect server's) that stands for its "
                             "address inside the VPC: reachable from every subnet (reach.py)")
    parser.add_argument("--in-vpc-relay-port", type=int, default=0, metavar="PORT",
                        help="the relay's own port (default: a free one, logged)")
    parser.add_argument("--endpoint-delete-seconds", type=float, default=2.0,
                        help="seconds an interface VPC endpoint stays deleting, its interfaces with it "
                             "(AWS: reported to take a few minutes; ec2_rules.py)")
    parser.add_argument("--nat-delete-seconds", type=float, default=2.0,
                        help="seconds a NAT gateway stays deleting, its interface and address with it "
                             "(AWS: asynchronous, no documented duration; ec2_rules.py)")
    parser.add_argument("--cluster-update-seconds", type=float, default=1.0,
                        help="seconds a cluster's capacity providers take to attach, during which another "
                             "PutClusterCapacityProviders is refused (ecs_rules.py)")
    parser.add_argument("--request-log", help="file for the server's request log (default: none)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    require_loopback(args.host)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s standin: %(message)s")
    quiet_environment(args.port)
    route_request_log(args.request_log)

    from . import ec2_rules, ecs_rules, ecs_state, iam, naming_rules, reach
    from . import execution_role
    from .fargate import Fargate

    ecs_state.install()
    iam.install(enforce=not args.no_task_role_enforcement)
    # Task execution roles attach AmazonECSTaskExecutionRolePolicy (execution_role.py).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    execution_role.install()
    ec2_rules.install(args.endpoint_delete_seconds, args.nat_delete_seconds)
    ecs_rules.install(args.cluster_update_seconds)
    naming_rules.install()
    server = MotoServer(args.host, args.port, ecs_state.lock)
    if args.in_vpc_relay:
        reach.open_in_vpc_relay(args.in_vpc_relay, args.in_vpc_relay_port)
    reach.blackhole_url()  # opened now, so its port is in the log before any task
    server.start()
    fargate = Fargate(args.region, server.url, args.default_stop_timeout, args.pull_timeout, args.exits_at_once)
    stopping = threading.Event()

    def on_signal(_signum, _frame):
        stopping.set()
        ecs_state.wake.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("watching ECS services in %s at %s (task role enforcement %s)", args.region, server.url,
             "off" if args.no_task_role_enforcement else "on")
    for image in args.exits_at_once:
        log.info("containers of image %s exit at once", image)
    while not stopping.is_set():
        fargate.cycle()
        ecs_state.wake.wait(args.poll)
        ecs_state.wake.clear()
    log.info("shutting down: stopping %d task(s)", len(fargate.tasks))
    fargate.shutdown()
    server.stop()
