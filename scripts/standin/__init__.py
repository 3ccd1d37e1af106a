"""standin: moto's server with a stand-in for Fargate, for the tests and the sandbox.

moto records ECS services and tasks but runs nothing, and the numbers it reports never
move. This package closes the gap: in the same process as moto's server, it plays the ECS
service scheduler for every service in one region, runs each task's essential container
command as a local process (a real `prefect worker`, from the task definition prefect-tui
wrote, with its environment and secrets), ships its output to CloudWatch Logs, runs its
health check, and keeps what ECS reports (task states, service and deployment counts,
rollout state, health, stop reasons, events) true to those processes. If the task
definition is wrong, the worker does not come up, as on Fargate.

Modules, one concern each:
  server      moto's server and the scheduling loop in one process; the entry point
  ecs_state   ECS's view, written into moto's backend objects under one lock
  scheduler   the service scheduler: counts, rolling deployments, replacements, stops
  processes   a container as a local process: environment, secrets, signals
  health      the container health check
  logs        the awslogs driver
What each emulates, and what not, is in its own docstring. Test infrastructure only: it
listens on loopback and its tasks only ever get the emulator's fake keys.

Tests: `python -m unittest discover -s standin/tests -t .` from scripts/ (scripts/test
runs them before `cargo test`).
"""
