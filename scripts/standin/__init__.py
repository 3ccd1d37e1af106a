"""standin: moto's server with a stand-in for Fargate, for the tests and the sandbox.

moto records ECS services and tasks but runs nothing, and the numbers it reports never
move. This package closes the gap: in the same process as moto's server, it plays Fargate
for one region. It runs each task's essential container command as a local process (a real
`prefect worker` for a service, a flow run for a task the worker starts with RunTask, from
the task definition with RunTask's overrides, its environment, secrets and task role
credentials), and each of its non-essential containers' beside it; ships their output to
CloudWatch Logs, runs the essential container's health check, and keeps what ECS reports
(task states, service and deployment counts, rollout state, health, stop reasons, network
interfaces, service events) true to those processes. It plays the ECS service scheduler
for every service, with the deployment circuit breaker and its rollback, sends ECS Task
State Change events to EventBridge (to SNS topic targets too), fails tasks whose subnet
gives Fargate no way to their image, points what a task's subnet cannot reach (AWS APIs
without an endpoint, the Prefect API on the internet) or its security groups refuse at an
address that never answers,
checks the task roles' IAM policies on the requests made with their credentials, and
fetches secrets, pulls images and opens log streams as the task's execution role, failing
the start on what its policies refuse. If the task definition or its network is wrong,
the task does not come up, as on Fargate; a task of an image it is told is broken
(--exits-at-once) starts and exits with code 1 at once.

Modules, one concern each:
  server           moto's server and the passes in one process; entry point and flags
  fargate          one pass: the agent, the service scheduler and RunTask's tasks in turn
  agent            one placed task: start it (or fail it), watch it, stop it
  sidecars         the task's non-essential containers, beside the essential one
  scheduler        the service scheduler: counts, rolling deployments, replacements, stops
  circuit_breaker  the deployment circuit breaker: a FAILED rollout, and its rollback
  runtask          tasks RunTask started outside any service: taken up, run once
  ecs_state        ECS's view, written into moto's backend objects under one lock
  network          the task's network interface, and whether its subnet lets it start
  reach            which AWS APIs and Prefect API its containers reach once running
  security_groups  what the task's security groups (and its endpoints') let it connect to
  events           ECS Task State Change events on the default event bus
  sns_targets      those events' rule targets that are SNS topics (moto has none)
  credentials      the task role's credentials for its container
  execution_role   what Fargate does as the execution role before a container starts
                   (secrets, registry auth, image, log stream), and RegisterTaskDefinition
                   refused without one
  iam              IAM checked for requests signed with those credentials, only
  iam_conditions   the Condition blocks of those checks, and the request context
  iam_implicit     the iam:PassRole and tag-on-create checks RunTask and
                   RegisterTaskDefinition add
  processes        a container as a local process: environment, secrets, signals, and
                   the images told to exit at once
  health           the container health check
  logs             the awslogs driver, as the execution role
  ec2_rules        EC2 deletions that take a while (endpoints, NAT gateways), and the
                   DependencyViolation, address and route refusals meanwhile
  ecs_rules        ECS's refusals moto lacks: capacity providers not on the cluster,
                   names, tags, a cluster still attaching its capacity providers
  naming_rules     CloudWatch alarm names moto accepts and AWS refuses
What each emulates, and what not, is in its own docstring. Test infrastructure only: it
listens on loopback, and its tasks only ever get keys the emulator made.

Tests: `python -m unittest discover -s standin/tests -t .` from scripts/ (scripts/test
runs them before `cargo test`).
"""
