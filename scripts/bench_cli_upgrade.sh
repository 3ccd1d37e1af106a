#!/usr/bin/env bash
# The peer of `prefect-tui upgrade` in scripts/bench: the service's task definition read
# with the AWS CLI, its image changed (with Python, as jq would), registered as a new
# revision, the service pointed at it, and the CLI's waiter until the service is stable.
#
# Usage: bench_cli_upgrade.sh STACK REGION IMAGE
# The endpoint comes from AWS_ENDPOINT_URL. `aws` and `python3` are the first on PATH.
#
# What it does not do that `prefect-tui upgrade` does: show the two Prefect versions and
# the plan first, notice a rollback by the circuit breaker (the waiter times out after
# 10 minutes instead), say why the tasks failed, and keep the profile in step.
set -euo pipefail

stack="$1" region="$2" image="$3"
export AWS_DEFAULT_REGION="$region" AWS_PAGER=""
name="prefect-tui-$stack"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

current="$(aws ecs describe-services --cluster "$name" --services "$name-worker" \
    --query 'services[0].taskDefinition' --output text)"
aws ecs describe-task-definition --task-definition "$current" --include TAGS >"$work/live.json"
IMAGE="$image" python3 - "$work/live.json" >"$work/next.json" <<'PY'
import json, os, sys
live = json.load(open(sys.argv[1]))
td = live["taskDefinition"]
for key in ("taskDefinitionArn", "revision", "status", "requiresAttributes",
            "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"):
    td.pop(key, None)
for container in td["containerDefinitions"]:
    container["image"] = os.environ["IMAGE"]
if live.get("tags"):
    td["tags"] = live["tags"]
json.dump(td, sys.stdout)
PY
next="$(aws ecs register-task-definition --cli-input-json "file://$work/next.json" \
    --query taskDefinition.taskDefinitionArn --output text)"
aws ecs update-service --cluster "$name" --service "$name-worker" --task-definition "$next" >/dev/null
aws ecs wait services-stable --cluster "$name" --services "$name-worker"
echo "upgraded $stack to $image"
