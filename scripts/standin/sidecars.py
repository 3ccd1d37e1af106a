"""sidecars: a task's non-essential containers, each a local process beside the essential one.

On Fargate every container of a task runs. The agent (agent.py) runs the essential one and
hands the others (`essential: false`) here. Each is built and started as the essential
container is (processes.py): its own environment and `secrets` from its own definition
(RunTask's containerOverrides of its name applied), the task role's credentials, what the
task's subnet reaches (reach.py), its own home directory (under the task's), its own
awslogs stream `<prefix>/<container name>/<task id>` (logs.py, as the task's execution
role) and its own output reader. As on ECS:
  - one that cannot start (no command, a secret it cannot read, its log stream) fails the
    whole task with TaskFailedToStart; those already started are killed;
  - one exiting does not stop the task (its exit is logged);
  - when the task is stopped (StopTask, the service scheduler, a shutdown), each one still
    running gets SIGTERM to its process group with the essential container, and SIGKILL
    with it after the same stop timeout;
  - the task is recorded STOPPED once its essential container has exited; any sidecar
    still running then is killed (SIGKILL), and its last lines are shipped before STOPPED
    is. So when the essential container exits on its own, its sidecars are killed at once
    (on ECS they would get SIGTERM and their stop timeout first).
Not emulated: dependsOn ordering (all start together), a sidecar's own health check, its
own stopTimeout, its state and exit code in DescribeTasks (moto lists only the task
definition's first container, and the task's containers carry the essential one's exit
code), resource limits, and a second essential container (only the first runs).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .logs import LogShipper, open_stream
from .processes import container_env, exit_code, pump_output, signal_group, spawn
from .reach import Reach

if TYPE_CHECKING:
    from .execution_role import ExecutionRole

KILL_WAIT = 5.0  # how long `close` waits for a killed sidecar to be gone

log = logging.getLogger("standin")


@dataclass
class Sidecar:
    container: dict
    env: dict[str, str]
    home: str
    shipper: LogShipper | None = None
    proc: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    exit_code: int | None = None  # once it has exited

    @property
    def name(self) -> str:
        return self.container["name"]


class Sidecars:
    """The non-essential containers of one task."""

    def __init__(self, task_id: str):
        self.task_id = task_id
        self.members: list[Sidecar] = []

    def prepare(self, containers: list[dict], account_id: str, region: str, endpoint: str, task_home: str,
                credentials: dict[str, str] | None, reach: Reach | None = None,
                execution: ExecutionRole | None = None) -> None:
        """Each one's environment (secrets read) and log stream. Raises StartFailure; what
        was opened is left for `close`."""
        for container in containers:
            home = os.path.join(task_home, "sidecars", container["name"])
            os.makedirs(home, exist_ok=True)
            env, _ports = container_env(container, account_id, region, endpoint, home, credentials, reach)
            sidecar = Sidecar(container, env, home)
            self.members.append(sidecar)
            sidecar.shipper = open_stream(account_id, region, container, self.task_id, execution)

    def start(self) -> None:
        """Starts each one (from the main thread). Raises StartFailure; those already
        started are left for `close`."""
        for sidecar in self.members:
            sidecar.proc = spawn(sidecar.container, sidecar.env, sidecar.home)
            sidecar.reader = threading.Thread(target=pump_output, daemon=True,
                                              args=(sidecar.proc, f"{self.task_id} {sidecar.name}", sidecar.shipper))
            sidecar.reader.start()
            log.info("task %s: started sidecar %s (pid %d)", self.task_id, sidecar.name, sidecar.proc.pid)

    def running(self) -> list[Sidecar]:
        return [s for s in self.members if s.proc is not None and s.exit_code is None]

    def poll(self) -> None:
        """Notes those that exited: the task runs on without them."""
        for sidecar in self.running():
            code = sidecar.proc.poll()
            if code is not None:
                sidecar.exit_code = exit_code(code)
                log.info("task %s: sidecar %s exited with code %d (not essential: the task runs on)",
                         self.task_id, sidecar.name, sidecar.exit_code)

    def signal(self, sig: int) -> None:
        """To the process group of each one still running."""
        self.poll()
        for sidecar in self.running():
            signal_group(sidecar.proc.pid, sig)

    def close(self) -> None:
        """Kills those still running, waits for them, ships their last lines."""
        self.signal(signal.SIGKILL)
        for sidecar in self.members:
            if sidecar.proc is not None:
                try:
                    sidecar.proc.wait(timeout=KILL_WAIT)
                except subprocess.TimeoutExpired:
                    log.warning("task %s: sidecar %s (pid %d) outlived SIGKILL", self.task_id, sidecar.name,
                                sidecar.proc.pid)
                sidecar.reader.join(timeout=5)
                sidecar.proc.stdout.close()
            if sidecar.shipper:
                sidecar.shipper.close()
        self.poll()
