#!/usr/bin/env bash
# The peer of `prefect-tui deploy` in scripts/bench: the same stack made by hand with the
# AWS CLI, one command after another, the way the ECS worker tutorials do it. Each
# command waits for the one before (the next needs its output: an ARN, an id).
#
# Usage: bench_cli_deploy.sh STACK REGION VPC_ID SUBNET,SUBNET PREFECT_API_URL
# The endpoint comes from AWS_ENDPOINT_URL, the Prefect credential from
# PREFECT_API_AUTH_STRING. The credential reaches the CLI through a file (file://), never
# as an argument: arguments show in `ps`. `aws` is the first on PATH.
#
# What it does not do that `prefect-tui deploy` does: read back what exists first (so a
# second run fails at the first create), decide the public IP from the subnets' routes,
# retry while IAM propagates, and fill the Prefect work pool's defaults.
set -euo pipefail

stack="$1" region="$2" vpc="$3" subnets="$4" api_url="$5"
export AWS_DEFAULT_REGION="$region" AWS_PAGER=""
# The AWS CLI v1 does not take SQS's endpoint from the environment: given to it by hand.
sqs=(aws sqs)
if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then sqs+=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

tags=("Key=prefect-tui:stack,Value=$stack" "Key=ManagedBy,Value=prefect-tui")
printf '%s' "$PREFECT_API_AUTH_STRING" >"$work/credential"

secret_arn="$(aws secretsmanager create-secret --name "prefect-tui/$stack/api-key" \
    --secret-string "file://$work/credential" --tags "${tags[@]}" --query ARN --output text)"

cat >"$work/trust.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
JSON
execution_arn="$(aws iam create-role --role-name "prefect-tui-$stack-execution" \
    --assume-role-policy-document "file://$work/trust.json" --tags "${tags[@]}" \
    --query Role.Arn --output text)"
aws iam attach-role-policy --role-name "prefect-tui-$stack-execution" \
    --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
cat >"$work/execution.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Sid": "ReadPrefectCredential", "Effect": "Allow",
  "Action": "secretsmanager:GetSecretValue", "Resource": "$secret_arn"}]}
JSON
aws iam put-role-policy --role-name "prefect-tui-$stack-execution" \
    --policy-name prefect-tui-read-api-key --policy-document "file://$work/execution.json"

aws logs create-log-group --log-group-name "/ecs/prefect-tui/$stack" \
    --tags "prefect-tui:stack=$stack,ManagedBy=prefect-tui"
aws logs put-retention-policy --log-group-name "/ecs/prefect-tui/$stack" --retention-in-days 30

cluster_arn="$(aws ecs create-cluster --cluster-name "prefect-tui-$stack" \
    --tags "key=prefect-tui:stack,value=$stack" key=ManagedBy,value=prefect-tui \
    --query cluster.clusterArn --output text)"

# The worker's event observer: a dead-letter queue, the queue the cluster's task state
# changes go to (only the stack's rule may send), and the EventBridge rule.
dlq_url="$("${sqs[@]}" create-queue --queue-name "prefect-tui-$stack-ecs-events-dlq" \
    --attributes SqsManagedSseEnabled=true,MessageRetentionPeriod=1209600 \
    --tags "prefect-tui:stack=$stack,ManagedBy=prefect-tui" --query QueueUrl --output text)"
dlq_arn="$("${sqs[@]}" get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn \
    --query Attributes.QueueArn --output text)"
queue_url="$("${sqs[@]}" create-queue --queue-name "prefect-tui-$stack-ecs-events" \
    --tags "prefect-tui:stack=$stack,ManagedBy=prefect-tui" --query QueueUrl --output text)"
queue_arn="${dlq_arn%-dlq}"
rule_arn="$(aws events put-rule --name "prefect-tui-$stack-ecs-task-state" \
    --event-pattern "{\"source\": [\"aws.ecs\"], \"detail-type\": [\"ECS Task State Change\"], \"detail\": {\"clusterArn\": [\"$cluster_arn\"]}}" \
    --tags "Key=prefect-tui:stack,Value=$stack" Key=ManagedBy,Value=prefect-tui \
    --query RuleArn --output text)"
cat >"$work/queue.json" <<JSON
{"SqsManagedSseEnabled": "true", "MessageRetentionPeriod": "345600",
 "RedrivePolicy": "{\\"deadLetterTargetArn\\": \\"$dlq_arn\\", \\"maxReceiveCount\\": 5}",
 "Policy": "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Principal\\": {\\"Service\\": \\"events.amazonaws.com\\"}, \\"Action\\": \\"sqs:SendMessage\\", \\"Resource\\": \\"$queue_arn\\", \\"Condition\\": {\\"ArnEquals\\": {\\"aws:SourceArn\\": \\"$rule_arn\\"}}}]}"}
JSON
"${sqs[@]}" set-queue-attributes --queue-url "$queue_url" --attributes "file://$work/queue.json"
aws events put-targets --rule "prefect-tui-$stack-ecs-task-state" \
    --targets "Id=worker-observer,Arn=$queue_arn" >/dev/null

worker_arn="$(aws iam create-role --role-name "prefect-tui-$stack-worker" \
    --assume-role-policy-document "file://$work/trust.json" --tags "${tags[@]}" \
    --query Role.Arn --output text)"
log_group_arn="${cluster_arn%%:cluster/*}"
log_group_arn="arn:aws:logs:$region:${log_group_arn##*:}:log-group:/ecs/prefect-tui/$stack"
cat >"$work/worker.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Resource": "*", "Action": ["ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:TagResource"]},
  {"Effect": "Allow", "Resource": "*", "Action": ["ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks"],
   "Condition": {"ArnEquals": {"ecs:cluster": "$cluster_arn"}}},
  {"Effect": "Allow", "Resource": "*", "Action": ["ec2:DescribeVpcs", "ec2:DescribeSubnets"]},
  {"Effect": "Allow", "Resource": "$log_group_arn:log-stream:*", "Action": "logs:GetLogEvents"},
  {"Effect": "Allow", "Resource": "$execution_arn", "Action": "iam:PassRole",
   "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
  {"Effect": "Allow", "Resource": "$queue_arn", "Action": ["sqs:GetQueueUrl", "sqs:ReceiveMessage",
    "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]}]}
JSON
aws iam put-role-policy --role-name "prefect-tui-$stack-worker" \
    --policy-name prefect-tui-ecs-worker --policy-document "file://$work/worker.json"

sg="$(aws ec2 create-security-group --group-name "prefect-tui-$stack-worker" \
    --description "prefect-tui worker: no ingress" --vpc-id "$vpc" \
    --tag-specifications "ResourceType=security-group,Tags=[{Key=prefect-tui:stack,Value=$stack},{Key=ManagedBy,Value=prefect-tui}]" \
    --query GroupId --output text)"

cat >"$work/taskdef.json" <<JSON
{"family": "prefect-tui-$stack-worker", "taskRoleArn": "$worker_arn",
 "executionRoleArn": "$execution_arn", "networkMode": "awsvpc",
 "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024",
 "containerDefinitions": [{"name": "prefect-worker", "image": "${BENCH_IMAGE:-prefecthq/prefect-aws:0.7.12-python3.12-prefect3.8.8}",
   "essential": true, "cpu": 512, "memory": 1024,
   "command": ["prefect", "worker", "start", "--pool", "$stack-ecs", "--type", "ecs", "--with-healthcheck"],
   "environment": [{"name": "PREFECT_API_URL", "value": "$api_url"},
                   {"name": "PREFECT_WORKER_WEBSERVER_PORT", "value": "8080"},
                   {"name": "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_ENABLED", "value": "true"},
                   {"name": "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME", "value": "prefect-tui-$stack-ecs-events"},
                   {"name": "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_REGION", "value": "$region"}],
   "secrets": [{"name": "PREFECT_API_AUTH_STRING", "valueFrom": "$secret_arn"}],
   "healthCheck": {"command": ["CMD-SHELL", "python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8080/health')\""],
                   "interval": 30, "timeout": 10, "retries": 3, "startPeriod": 60},
   "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/prefect-tui/$stack",
     "awslogs-region": "$region", "awslogs-stream-prefix": "worker"}}}],
 "tags": [{"key": "prefect-tui:stack", "value": "$stack"}, {"key": "ManagedBy", "value": "prefect-tui"}]}
JSON
aws ecs register-task-definition --cli-input-json "file://$work/taskdef.json" >/dev/null

aws ecs create-service --cluster "prefect-tui-$stack" --service-name "prefect-tui-$stack-worker" \
    --task-definition "prefect-tui-$stack-worker" --desired-count 1 --launch-type FARGATE \
    --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$sg],assignPublicIp=ENABLED}" \
    --deployment-configuration "deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100" \
    --tags "key=prefect-tui:stack,value=$stack" key=ManagedBy,value=prefect-tui >/dev/null
echo "deployed $stack"
