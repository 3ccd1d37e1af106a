#!/usr/bin/env bash
# The peer of `prefect-tui destroy` in scripts/bench: the stack bench_cli_deploy.sh made,
# removed with the AWS CLI, one command after another, dependents first (the service
# before its cluster, the rule's target before the rule, the policies before their roles),
# as a person removing it by hand would.
#
# Usage: bench_cli_destroy.sh STACK REGION
# The endpoint comes from AWS_ENDPOINT_URL. `aws` is the first on PATH.
#
# What it does not do that `prefect-tui destroy` does: find what exists first (each
# command here fails if its resource is already gone), stop the flow-run tasks, deregister
# every revision rather than the one it knows, and say what it kept (the secret's recovery
# window).
set -euo pipefail

stack="$1" region="$2"
export AWS_DEFAULT_REGION="$region" AWS_PAGER=""
# The AWS CLI v1 does not take SQS's endpoint from the environment: given to it by hand.
sqs=(aws sqs)
if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then sqs+=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
name="prefect-tui-$stack"

aws ecs delete-service --cluster "$name" --service "$name-worker" --force >/dev/null
aws ecs wait services-inactive --cluster "$name" --services "$name-worker"
aws ecs deregister-task-definition --task-definition "$name-worker:1" >/dev/null
aws ecs delete-cluster --cluster "$name" >/dev/null

aws events remove-targets --rule "$name-ecs-task-state" --ids worker-observer >/dev/null
aws events delete-rule --name "$name-ecs-task-state"
for queue in "$name-ecs-events" "$name-ecs-events-dlq"; do
    url="$("${sqs[@]}" get-queue-url --queue-name "$queue" --query QueueUrl --output text)"
    "${sqs[@]}" delete-queue --queue-url "$url"
done

vpc_sg="$(aws ec2 describe-security-groups --filters "Name=group-name,Values=$name-worker" \
    --query 'SecurityGroups[0].GroupId' --output text)"
aws ec2 delete-security-group --group-id "$vpc_sg"
aws logs delete-log-group --log-group-name "/ecs/prefect-tui/$stack"

aws iam delete-role-policy --role-name "$name-worker" --policy-name prefect-tui-ecs-worker
aws iam delete-role --role-name "$name-worker"
aws iam delete-role-policy --role-name "$name-execution" --policy-name prefect-tui-read-api-key
aws iam detach-role-policy --role-name "$name-execution" \
    --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
aws iam delete-role --role-name "$name-execution"

aws secretsmanager delete-secret --secret-id "prefect-tui/$stack/api-key" \
    --recovery-window-in-days 7 >/dev/null
echo "destroyed $stack"
