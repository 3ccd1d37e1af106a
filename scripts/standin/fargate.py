"""fargate: one region's Fargate, as the stand-in plays it: one agent and two schedulers.

The agent (agent.py) runs the tasks; the service scheduler (scheduler.py) decides which
service tasks there should be; runtask.py takes up the tasks RunTask made. `cycle` is one
pass of all three, in that order: first what happened (exits, failed starts, StopTask),
then what should happen. It must run on the main thread (processes are spawned there).
"""

from __future__ import annotations

from typing import Iterable

from . import ecs_state
from .agent import FARGATE_STOP_TIMEOUT, PULL_TIMEOUT, Agent, LocalTask
from .runtask import RunTaskTasks
from .scheduler import Scheduler


class Fargate:
    def __init__(self, region: str, endpoint: str, default_stop_timeout: float = FARGATE_STOP_TIMEOUT,
                 pull_timeout: float = PULL_TIMEOUT, exits_at_once: Iterable[str] = ()):
        ecs_state.serve(region)
        self.agent = Agent(region, endpoint, default_stop_timeout, pull_timeout, exits_at_once)
        self.scheduler = Scheduler(self.agent)
        self.run_tasks = RunTaskTasks(self.agent)
        self.agent.on_finish = self._finished

    @property
    def tasks(self) -> list[LocalTask]:
        return self.agent.tasks

    def cycle(self) -> None:
        self.agent.reap()
        self.agent.follow_stop_requests()
        self.scheduler.cycle()
        self.run_tasks.cycle()

    def _finished(self, task: LocalTask, code: int | None) -> None:
        if task.key is not None:
            self.scheduler.finished(task, code)

    def shutdown(self) -> None:
        self.agent.shutdown()
