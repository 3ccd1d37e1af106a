#!/usr/bin/env bash
# The peer of `prefect-tui discover` in scripts/bench: the AWS CLI commands that fetch the
# raw data discovery reads (identity, VPCs, subnets, route tables, gateways, endpoints),
# one after another. They print it; they decide nothing (no egress verdict, no
# recommendation). Usage: bench_cli_discover.sh REGION, endpoint from AWS_ENDPOINT_URL.
set -euo pipefail
export AWS_DEFAULT_REGION="$1" AWS_PAGER=""
aws sts get-caller-identity >/dev/null
for what in vpcs subnets route-tables internet-gateways nat-gateways vpc-endpoints; do
    aws ec2 "describe-$what" --output json >/dev/null
done
