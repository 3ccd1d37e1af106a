"""fargate_standin.py: run the containers of emulated ECS services as local processes.

moto records ECS services and tasks but runs nothing. This stand-in closes the gap
for the tests and the sandbox: it plays the ECS service scheduler for every service
in one region of the emulator, and runs each task's essential container command as
a local process (no container: the command must exist on this machine, which for
`prefect worker start` is the repo's .venv). So a real `prefect worker` starts from
the task definition prefect-tui wrote, with its environment and secrets, logs into
emulated CloudWatch Logs and heartbeats into the Prefect server. If the task
definition is wrong, the worker does not come up, as on Fargate.

It is test infrastructure and must never touch real AWS: it refuses to start unless
the endpoint is on loopback, and it only ever sends fake credentials. It does not
emulate images, health checks, networking, resource limits or IAM.

    fargate_standin.py --endpoint http://127.0.0.1:PORT --region REGION [--poll 1.0]

Run it with the .venv's python (boto3 and the prefect CLI come from there).
"""

import argparse
import ctypes
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

FAKE_KEY = "standin"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CRASH_WINDOW = 60.0  # a task that exits sooner than this after starting is crashing
BACKOFF_FIRST, BACKOFF_MAX = 5.0, 60.0
# Fargate's default stopTimeout is 30 s; 10 s keeps scale-downs and shutdowns quick.
STOP_GRACE = 10.0
FLUSH_INTERVAL = 0.5
MAX_EVENTS_PER_PUT = 1000  # well under PutLogEvents' limits (10,000 events, 1 MB)
AWS_ERRORS = (BotoCoreError, ClientError)

log = logging.getLogger("standin")


class StartFailure(Exception):
    """A task could not start; the message is its stoppedReason, worded like Fargate's."""


@dataclass
class LocalTask:
    """One emulated task: a registered moto task plus the local process running it."""

    arn: str
    cluster: str
    service_key: tuple[str, str]  # (cluster ARN, service ARN)
    task_definition: str  # the service's taskDefinition when the task was started
    proc: subprocess.Popen
    home: str
    reader: threading.Thread
    shipper: "LogShipper | None"
    started: float = field(default_factory=time.monotonic)
    stop_reason: str | None = None  # set once the stand-in decides to stop it
    kill_at: float | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


class LogShipper:
    """Sends a task's output to one CloudWatch Logs stream, like the awslogs driver."""

    def __init__(self, client, group: str, stream: str):
        self._client, self._group, self._stream = client, group, stream
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._last_ms = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def add(self, line: str) -> None:
        with self._lock:
            # PutLogEvents wants each batch in chronological order.
            self._last_ms = max(self._last_ms, int(time.time() * 1000))
            self._pending.append({"timestamp": self._last_ms, "message": line})

    def close(self) -> None:
        """Flushes what is left and stops the flusher."""
        self._closed.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._closed.wait(FLUSH_INTERVAL):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        for i in range(0, len(events), MAX_EVENTS_PER_PUT):
            try:
                self._client.put_log_events(logGroupName=self._group, logStreamName=self._stream,
                                            logEvents=events[i:i + MAX_EVENTS_PER_PUT])
            except AWS_ERRORS as e:
                log.warning("dropped %d log events for %s: %s", len(events[i:]), self._stream, e)
                return


class Scheduler:
    """Keeps the local processes of each ACTIVE service at its desiredCount."""

    def __init__(self, endpoint: str, region: str):
        self.endpoint, self.region = endpoint, region
        self.tasks: list[LocalTask] = []
        self.backoff: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (delay, not before)
        self._clients: dict[tuple[str, str], object] = {}
        self.ecs = self.client("ecs")
        self.secrets = self.client("secretsmanager")

    def client(self, service: str, region: str | None = None):
        key = (service, region or self.region)
        if key not in self._clients:
            # Few quick retries: the emulator is local, and a stale answer is no use later.
            config = Config(retries={"mode": "standard", "max_attempts": 2},
                            connect_timeout=2, read_timeout=15)
            self._clients[key] = boto3.client(service, endpoint_url=self.endpoint, region_name=key[1],
                                              aws_access_key_id=FAKE_KEY,
                                              aws_secret_access_key=FAKE_KEY, config=config)
        return self._clients[key]

    # The scheduling loop

    def cycle(self) -> None:
        self.reap()
        try:
            services = self.active_services()
        except AWS_ERRORS as e:
            # Never read a failed listing as "every service is gone".
            log.warning("could not list services: %s", e)
            return
        for key, svc in services.items():
            try:
                self.reconcile(key, svc)
            except Exception:  # one odd service must not stop the others being scheduled
                log.exception("service %s: scheduling failed", svc.get("serviceName"))
        for task in self.tasks:
            if task.service_key not in services and task.stop_reason is None:
                name = task.service_key[1].rsplit("/", 1)[-1]
                self.begin_stop(task, f"Service {name} is no longer ACTIVE (deleted or draining)")

    def active_services(self) -> dict[tuple[str, str], dict]:
        found = {}
        for page in self.ecs.get_paginator("list_clusters").paginate():
            for cluster in page["clusterArns"]:
                arns = [arn for p in self.ecs.get_paginator("list_services").paginate(cluster=cluster)
                        for arn in p["serviceArns"]]
                for i in range(0, len(arns), 10):  # DescribeServices takes at most 10
                    for svc in self.ecs.describe_services(cluster=cluster, services=arns[i:i + 10])["services"]:
                        if svc["status"] == "ACTIVE":
                            found[(cluster, svc["serviceArn"])] = svc
        return found

    def reconcile(self, key: tuple[str, str], svc: dict) -> None:
        live = sorted((t for t in self.tasks if t.service_key == key and t.stop_reason is None),
                      key=lambda t: t.started)
        desired = svc["desiredCount"]
        if len(live) > desired:
            for task in live[desired:]:  # the newest go first
                self.begin_stop(task, f"Scaling activity initiated by (deployment {deployment_id(svc)})")
            return
        # Like a rolling deployment: the replacement starts before the old task stops,
        # and if it cannot start, the old one keeps running.
        for old in [t for t in live if t.task_definition != svc["taskDefinition"]]:
            if not self.start(key, svc):
                return
            self.begin_stop(old, "Task stopped by the deployment of a new task definition revision")
        for _ in range(desired - len(live)):
            if not self.start(key, svc):
                return

    def reap(self) -> None:
        """Finishes the tasks whose process exited; kills those past their stop grace."""
        for task in list(self.tasks):
            code = task.proc.poll()
            if code is None:
                if task.kill_at is not None and time.monotonic() >= task.kill_at:
                    log.info("task %s ignored SIGTERM for %.0f s: SIGKILL", task.id, STOP_GRACE)
                    signal_group(task.proc, signal.SIGKILL)
                    task.kill_at = None
                continue
            self.finish(task, code)

    # Starting and stopping tasks

    def start(self, key: tuple[str, str], svc: dict) -> bool:
        """Starts one task of the service; False if it cannot now (backoff or failure)."""
        if time.monotonic() < self.backoff.get(key, (0.0, 0.0))[1]:
            return False
        try:
            container = essential_container(
                self.ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"])
            arn = self.register_task(key[0], svc)
        except (*AWS_ERRORS, StartFailure) as e:
            log.warning("service %s: could not start a task: %s", svc["serviceName"], e)
            self.note_crash(key)
            return False
        task_id = arn.rsplit("/", 1)[-1]
        home = tempfile.mkdtemp(prefix=f"standin-{task_id}-")
        shipper = None
        try:
            env = self.container_env(container, home)
            shipper = self.open_log_stream(container, task_id)
            proc = spawn(container, env, home)
        except StartFailure as e:
            log.warning("service %s: task %s failed to start: %s", svc["serviceName"], arn, e)
            if shipper:
                shipper.close()
            self.stop_in_emulator(key[0], arn, str(e))
            shutil.rmtree(home, ignore_errors=True)
            self.note_crash(key)
            return False
        reader = threading.Thread(target=pump_output, args=(proc, task_id, shipper), daemon=True)
        reader.start()
        task = LocalTask(arn=arn, cluster=key[0], service_key=key, task_definition=svc["taskDefinition"],
                         proc=proc, home=home, reader=reader, shipper=shipper)
        self.tasks.append(task)
        log.info("service %s: started task %s (pid %d)", svc["serviceName"], task.id, proc.pid)
        return True

    def register_task(self, cluster: str, svc: dict) -> str:
        tasks = self.ecs.run_task(
            cluster=cluster, taskDefinition=svc["taskDefinition"], launchType="FARGATE",
            networkConfiguration=svc.get("networkConfiguration", {}), group=f"service:{svc['serviceName']}",
            startedBy=deployment_id(svc), count=1)["tasks"]
        if not tasks:
            raise StartFailure("RunTask placed no task")
        return tasks[0]["taskArn"]

    def container_env(self, container: dict, home: str) -> dict[str, str]:
        """The process environment, built from scratch as Fargate would from the TD."""
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        for secret in container.get("secrets", []):
            try:
                env[secret["name"]] = self.secrets.get_secret_value(SecretId=secret["valueFrom"])["SecretString"]
            except (*AWS_ERRORS, KeyError) as e:
                raise StartFailure(
                    "ResourceInitializationError: unable to pull secrets or registry auth: execution "
                    "resource retrieval failed: unable to retrieve secret from asm: failed to fetch "
                    f"secret {secret['valueFrom']} from secrets manager: {e}") from e
        env.update(
            PATH=f"{os.path.dirname(sys.executable)}:{SYSTEM_PATH}",  # the image has prefect; .venv does here
            HOME=home,
            PREFECT_HOME=home,
            # Stand in for the task role credentials Fargate provides, against the emulator.
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=FAKE_KEY,
            AWS_SECRET_ACCESS_KEY=FAKE_KEY,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
            # On Fargate (awsvpc) each task has its own network namespace, so every worker
            # can listen on 0.0.0.0 and the same port; locally they share this machine's.
            PREFECT_WORKER_WEBSERVER_HOST="127.0.0.1",
            PREFECT_WORKER_WEBSERVER_PORT=str(free_port()),
        )
        return env

    def open_log_stream(self, container: dict, task_id: str) -> LogShipper | None:
        config = container.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            return None
        options = config.get("options", {})
        logs = self.client("logs", options.get("awslogs-region"))
        group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
        if not group or not prefix:
            raise StartFailure("ResourceInitializationError: failed to validate logger args: "
                               "awslogs-group and awslogs-stream-prefix are required on Fargate")
        stream = f'{prefix}/{container["name"]}/{task_id}'
        try:
            if options.get("awslogs-create-group") == "true":
                try:
                    logs.create_log_group(logGroupName=group)
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except AWS_ERRORS as e:
            raise StartFailure(
                "ResourceInitializationError: failed to validate logger args: create stream has been "
                f"retried 1 times: failed to create Cloudwatch log stream: {e}") from e
        return LogShipper(logs, group, stream)

    def begin_stop(self, task: LocalTask, reason: str) -> None:
        log.info("stopping task %s: %s", task.id, reason)
        task.stop_reason = reason
        task.kill_at = time.monotonic() + STOP_GRACE
        signal_group(task.proc, signal.SIGTERM)

    def finish(self, task: LocalTask, code: int) -> None:
        # Like Docker, report death by signal N as exit code 128 + N.
        code = 128 - code if code < 0 else code
        task.reader.join(timeout=5)
        if task.shipper:
            # Logs first: whoever sees STOPPED should find the last lines already there.
            task.shipper.close()
        reason = task.stop_reason or f"Essential container in task exited (exit code {code})"
        self.stop_in_emulator(task.cluster, task.arn, reason)
        self.tasks.remove(task)
        shutil.rmtree(task.home, ignore_errors=True)
        log.info("task %s exited with code %d", task.id, code)
        if task.stop_reason is None:
            if time.monotonic() - task.started < CRASH_WINDOW:
                self.note_crash(task.service_key)
            else:
                self.backoff.pop(task.service_key, None)

    def stop_in_emulator(self, cluster: str, arn: str, reason: str) -> None:
        # moto's StopTask sets lastStatus/desiredStatus STOPPED and stoppedReason, but it has
        # no call that sets a container's exitCode (its containers always show exitCode 0),
        # so the reason text is what carries the exit code.
        try:
            self.ecs.stop_task(cluster=cluster, task=arn, reason=reason)
        except AWS_ERRORS as e:
            log.warning("could not stop task %s in the emulator: %s", arn, e)

    def note_crash(self, key: tuple[str, str]) -> None:
        """Like ECS's restart throttling, so a crashing worker does not spin."""
        delay = min(self.backoff.get(key, (0.0, 0.0))[0] * 2 or BACKOFF_FIRST, BACKOFF_MAX)
        self.backoff[key] = (delay, time.monotonic() + delay)
        log.info("service %s: next task start in %.0f s", key[1].rsplit("/", 1)[-1], delay)

    def shutdown(self) -> None:
        for task in self.tasks:
            if task.stop_reason is None:
                self.begin_stop(task, "Task stopped because the Fargate stand-in is shutting down")
        while self.tasks:
            self.reap()
            time.sleep(0.1)


def essential_container(task_definition: dict) -> dict:
    for container in task_definition.get("containerDefinitions", []):
        if container.get("essential", True):
            return container
    raise StartFailure(f"task definition {task_definition.get('taskDefinitionArn')} has no essential container")


def deployment_id(svc: dict) -> str:
    primary = [d["id"] for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"]
    return primary[0] if primary else "ecs-svc/standin"


def spawn(container: dict, env: dict[str, str], home: str) -> subprocess.Popen:
    argv = (container.get("entryPoint") or []) + (container.get("command") or [])
    if not argv:
        # The image's default command would run on Fargate; there is no image here.
        raise StartFailure("CannotStartContainerError: the stand-in needs a command (it has no image)")
    try:
        # Its own process group, so stopping a task signals everything it started. The
        # image's working directory does not exist here, so it runs in its home.
        return subprocess.Popen(argv, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, process_group=0, preexec_fn=die_with_parent)
    except OSError as e:
        raise StartFailure(f"CannotStartContainerError: failed to create task for container: {e}") from e


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: get SIGKILL if the stand-in dies without cleaning up.

    Tied to the thread that forked, so tasks are only ever spawned from the main thread.
    """
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def pump_output(proc: subprocess.Popen, task_id: str, shipper: LogShipper | None) -> None:
    """Reader thread: each output line to CloudWatch and, for debugging, to our stderr."""
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        log.info("[%s] %s", task_id, line)
        if shipper and line:  # CloudWatch rejects empty messages
            shipper.add(line)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_loopback(endpoint: str) -> None:
    host = urlparse(endpoint).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"fargate_standin: refusing to run against {endpoint!r}: only a loopback emulator")


def pin_moto_tasks(endpoint: str) -> None:
    """Make moto's ECS tasks change state only when the stand-in stops them.

    By default moto moves a task one lifecycle step each time DescribeTasks returns it
    (RUNNING, DEACTIVATING, ..., STOPPED after four calls), which would make a healthy
    worker look stopped. Needing 2**31 calls per step means never.
    """
    body = json.dumps({"model_name": "ecs::task",
                       "transition": {"progression": "manual", "times": 2**31}}).encode()
    request = urllib.request.Request(f"{endpoint}/moto-api/state-manager/set-transition", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10).read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="the moto server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--region", required=True)
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between scheduling passes")
    args = parser.parse_args()
    require_loopback(args.endpoint)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s standin: %(message)s")
    # Our own AWS calls use explicit fake keys; keep any local config or proxy out of them.
    for name in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)

    try:
        pin_moto_tasks(args.endpoint)
    except OSError as e:
        sys.exit(f"fargate_standin: cannot reach the emulator at {args.endpoint}: {e}")
    scheduler = Scheduler(args.endpoint, args.region)
    stopping = False

    def on_signal(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("watching ECS services in %s at %s", args.region, args.endpoint)
    while not stopping:
        scheduler.cycle()
        time.sleep(args.poll)
    log.info("shutting down: stopping %d task(s)", len(scheduler.tasks))
    scheduler.shutdown()


if __name__ == "__main__":
    main()
