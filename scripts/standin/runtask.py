"""runtask: the tasks started with RunTask, outside any service (the flow runs a prefect-aws
ECS worker starts).

Each pass takes up every Fargate task of the region that RunTask made and that belongs to
no service, and hands it to the agent (agent.py), which runs the task definition's
essential container with RunTask's `overrides` applied (processes.task_container), in the
task's awsvpc network (network.py), with its task role's credentials (credentials.py).
ECS's view of it is ecs_state's: PROVISIONING from RunTask to this pass, then PENDING,
RUNNING, and STOPPED with EssentialContainerExited and the container's exit code when its
process exits, UserInitiated after StopTask, TaskFailedToStart if it cannot start. A task
stopped with StopTask while still PROVISIONING just stops. A RunTask task is never
restarted and never replaced, whatever its exit code or health.

Not emulated: `count` placement failures (moto places them all), startedBy/group
semantics beyond what moto stores, placement constraints, capacity provider strategies
other than FARGATE (moto's EC2 path is left to moto), `enableExecuteCommand`, and the
task-level cpu/memory overrides' limits (recorded on the task, enforced nowhere).
"""

from __future__ import annotations

import logging

from . import ecs_state
from .agent import Agent

log = logging.getLogger("standin")


class RunTaskTasks:
    def __init__(self, agent: Agent):
        self.agent, self.region = agent, agent.region

    def cycle(self) -> None:
        with ecs_state.lock:
            waiting = ecs_state.unclaimed_tasks(self.region)
        for backend, task in waiting:
            if ecs_state.stop_requested(task):
                log.info("task %s: stopped before it was provisioned", task.id)
                with ecs_state.lock:
                    task._standin_claimed = True
                    ecs_state.mark_stopping(backend, task, task.stopped_reason, task.stop_code)
                    ecs_state.mark_stopped(backend, task, None)
                continue
            try:
                self.agent.launch(backend, task)
            except Exception:  # one odd task must not keep the others from starting
                log.exception("task %s: could not be started", task.id)
                with ecs_state.lock:
                    ecs_state.mark_stopped(backend, task, None, reason="CannotStartContainerError: the stand-in "
                                           "could not start this task (see its log)", stop_code="TaskFailedToStart",
                                           failed=True)
