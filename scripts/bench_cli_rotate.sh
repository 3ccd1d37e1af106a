#!/usr/bin/env bash
# The peer of `prefect-tui rotate-key` in scripts/bench: a new key put into the stack's
# secret with the AWS CLI, then a new deployment of the service so its tasks read it, and
# the CLI's waiter until the service is stable, as the ECS guides do it.
#
# Usage: bench_cli_rotate.sh STACK REGION
# The new key comes from PREFECT_API_AUTH_STRING, through a file (file://), never as an
# argument. The endpoint comes from AWS_ENDPOINT_URL. `aws` is the first on PATH.
#
# What it does not do that `prefect-tui rotate-key` does: check the key against Prefect
# before it is stored, wait for a rollout already under way, and wait for new workers to
# be online in Prefect (the waiter asks ECS only, every 15 seconds).
set -euo pipefail

stack="$1" region="$2"
export AWS_DEFAULT_REGION="$region" AWS_PAGER=""
name="prefect-tui-$stack"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077
printf '%s' "$PREFECT_API_AUTH_STRING" >"$work/credential"

aws secretsmanager put-secret-value --secret-id "prefect-tui/$stack/api-key" \
    --secret-string "file://$work/credential" >/dev/null
aws ecs update-service --cluster "$name" --service "$name-worker" --force-new-deployment >/dev/null
aws ecs wait services-stable --cluster "$name" --services "$name-worker"
echo "rotated $stack"
