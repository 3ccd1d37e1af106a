# shellcheck shell=bash
#
# emulators.sh: the AWS and Prefect emulators the integration tests run against.
#
# The tool under test talks to AWS (ECS, EC2, IAM, STS, ...) and to a Prefect
# API. Instead of mocks, the tests use real servers on loopback: moto's server
# for AWS and a real `prefect server` with its own throwaway SQLite database,
# behind basic auth like a self-hosted server. moto runs no containers, so the
# plain moto server runs in one process with a stand-in for Fargate
# (scripts/fargate_standin.py, package scripts/standin/) that plays Fargate for
# one region: it runs the command of each ECS service's task definition as a
# local process (a real `prefect worker`), and of each task RunTask starts (the
# flow runs that worker submits), logging to moto's CloudWatch Logs; it runs
# health checks, keeps ECS's counts, deployments, health and stop reasons true
# to those processes, sends ECS's task state changes to the emulated
# EventBridge, gives each task its task role's credentials and enforces IAM for
# them (scripts/standin/iam.py says what moto checks and what not).
# This file is a library; scripts/test and scripts/sandbox source it:
#
#     source "$(dirname "$0")/emulators.sh"
#     emulators_start            # also runs emulators_venv
#     trap emulators_stop EXIT
#
#   emulators_venv   create/refresh .venv at the repo root from scripts/requirements.txt
#                    (emulators_faults_venv, emulators_lint_venv, emulators_checkov_venv:
#                     .venv-faults, .venv-lint, .venv-checkov)
#   emulators_start  start the servers, wait until healthy, export:
#       PREFECT_TUI_TEST_MOTO_URL                 moto, no auth (anything goes)
#       PREFECT_TUI_TEST_MOTO_AUTH_URL            moto enforcing IAM policies
#       PREFECT_TUI_TEST_DENIED_ACCESS_KEY_ID     keys of the IAM user "denied" on the
#       PREFECT_TUI_TEST_DENIED_SECRET_ACCESS_KEY   auth server: ec2:Describe* allowed,
#       PREFECT_TUI_TEST_DENIED_USER_ARN            ec2:DescribeRouteTables denied
#       PREFECT_TUI_TEST_PREFECT_API_URL          http://127.0.0.1:PORT/api; to the stand-in's tasks
#                                                   it is a server on the internet: a task whose
#                                                   subnet has no NAT or public IP cannot reach it
#       PREFECT_TUI_TEST_PREFECT_IN_VPC_API_URL   the same server as if self-hosted in the VPC
#                                                   (the stand-in's relay): every task reaches it
#       PREFECT_TUI_TEST_PREFECT_AUTH_STRING      prefect-tui:<random>; the API wants
#                                                   "Authorization: Basic base64(it)"
#                                                   (GET /api/health does not)
#       PREFECT_TUI_TEST_STANDIN_REGION           the region whose ECS services the
#                                                   stand-in runs; callers may set it
#                                                   before emulators_start (default us-west-2)
#       PREFECT_TUI_TEST_BROKEN_IMAGE             an image the stand-in treats as broken: its
#                                                   tasks start, log one line and exit 1 at once
#                                                   (for a failed upgrade); callers may set it
#                                                   before emulators_start
#       PREFECT_TUI_TEST_STANDIN_LOG              the stand-in's log: "started task ID (pid N)",
#                                                   "task ID exited with code N" and every
#                                                   line its tasks printed
#       PREFECT_TUI_TEST_VENV                     absolute path of .venv
#       PREFECT_TUI_TEST_MITMDUMP                 mitmproxy's mitmdump, from .venv-faults
#                                                   (tests/faults.rs runs it with
#                                                   scripts/fault_proxy.py)
#       PREFECT_TUI_TEST_PARLIAMENT               the IAM policy linter, from .venv-lint
#                                                   (tests/policy_lint.rs)
#       PREFECT_TUI_TEST_CFN_LINT                 cfn-lint, from .venv-lint (tests/export.rs)
#       PREFECT_TUI_TEST_CHECKOV                  checkov, from .venv-checkov (tests/export.rs)
#       PREFECT_TUI_TEST_LINT_PYTHON              .venv-lint's Python, with python-hcl2
#                                                   (tests/export.rs)
#   emulators_stop   kill the servers (idempotent; meant for `trap emulators_stop EXIT`)
#
# On the auth server only the denied user's keys are valid: any other key gets
# InvalidClientTokenId / AuthFailure. Do not POST /moto-api/reset to it: that
# would delete the user. On the plain server, ECS tasks move only as their
# processes do (the stand-in turns off moto's habit of advancing a task one state
# per DescribeTasks call). Logs live in $EMULATORS_DIR (kept when the caller
# exits non-zero): standin.log has the stand-in's own lines and the output of
# every task it ran, moto.log the plain server's requests. Each server
# also dies by itself once the shell that started it is gone, so a killed test
# run leaves nothing behind.
#
# Safe for callers running under `set -euo pipefail`.

_EMU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_EMU_VENV="$_EMU_ROOT/.venv"
_EMU_REQUIREMENTS="$_EMU_ROOT/scripts/requirements.txt"
_EMU_FAULTS_VENV="$_EMU_ROOT/.venv-faults"
_EMU_FAULTS_REQUIREMENTS="$_EMU_ROOT/scripts/requirements-faults.txt"
_EMU_LINT_VENV="$_EMU_ROOT/.venv-lint"
_EMU_LINT_REQUIREMENTS="$_EMU_ROOT/scripts/requirements-lint.txt"
_EMU_CHECKOV_VENV="$_EMU_ROOT/.venv-checkov"
_EMU_CHECKOV_REQUIREMENTS="$_EMU_ROOT/scripts/requirements-checkov.txt"
EMULATORS_DIR="${EMULATORS_DIR:-}"

_emu_say() { echo "emulators: $*" >&2; }

# _emu_pinned_venv DIR REQUIREMENTS PROGRAM WHAT: create/refresh the venv DIR from the
# pinned REQUIREMENTS (--no-deps: every dependency is pinned there) unless DIR/bin/PROGRAM
# exists and the file has not changed since.
_emu_pinned_venv() {
    local dir="$1" requirements="$2" program="$3" what="$4" want have log
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    have="$(cat "$dir/.requirements.sha256" 2>/dev/null || true)"
    if [[ -x "$dir/bin/$program" && "$want" == "$have" ]]; then
        return 0
    fi
    _emu_say "installing $what into $(basename "$dir") (takes a minute the first time)..."
    rm -rf "$dir"
    "${EMULATORS_PYTHON:-python3}" -m venv "$dir"
    log="$dir/pip-install.log"
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$dir/bin/python" -m pip install --no-deps -r "$requirements" >"$log" 2>&1; then
        _emu_say "pip install failed; last lines of $log:"
        tail -n 30 "$log" >&2
        return 1
    fi
    echo "$want" >"$dir/.requirements.sha256"
}

emulators_venv() {
    _emu_pinned_venv "$_EMU_VENV" "$_EMU_REQUIREMENTS" python "moto + prefect"
}

# emulators_faults_venv: create/refresh .venv-faults (mitmproxy, for the fault-injecting
# proxy of tests/faults.rs) from scripts/requirements-faults.txt. Its own venv: its pins
# clash with the emulators' (cryptography, h11).
emulators_faults_venv() {
    _emu_pinned_venv "$_EMU_FAULTS_VENV" "$_EMU_FAULTS_REQUIREMENTS" mitmdump mitmproxy
}

# emulators_lint_venv: create/refresh .venv-lint (parliament, the IAM policy linter of
# tests/policy_lint.rs; cfn-lint and python-hcl2 of tests/export.rs) from
# scripts/requirements-lint.txt. Its own venv: its boto3 is
# newer than the one moto pins.
emulators_lint_venv() {
    _emu_pinned_venv "$_EMU_LINT_VENV" "$_EMU_LINT_REQUIREMENTS" parliament parliament
}

# emulators_checkov_venv: create/refresh .venv-checkov (checkov, the scanner tests/export.rs
# runs on both exports) from scripts/requirements-checkov.txt. Its own venv: it pins its
# own fork of the HCL parser and an older boto3.
emulators_checkov_venv() {
    _emu_pinned_venv "$_EMU_CHECKOV_VENV" "$_EMU_CHECKOV_REQUIREMENTS" checkov checkov
}

# _emu_free_ports N: print N distinct free loopback TCP ports, one per line.
_emu_free_ports() {
    "$_EMU_VENV/bin/python" - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
for s in socks:
    print(s.getsockname()[1])
PY
}

# _emu_spawn NAME CMD...: run CMD in a new session (its own process group),
# output to $EMULATORS_DIR/NAME.log, group id in $EMULATORS_DIR/NAME.pgid.
# A small bash wrapper leads the group; it kills the whole group when CMD
# exits or when the calling shell dies.
_emu_spawn() {
    local name="$1" _
    shift
    setsid -f bash -c '
        echo $$ >"$1.tmp" && mv "$1.tmp" "$1"
        owner=$2
        shift 2
        "$@" &
        child=$!
        while kill -0 "$owner" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -TERM -- -$$ 2>/dev/null
    ' _ "$EMULATORS_DIR/$name.pgid" "${BASHPID:-$$}" "$@" \
        </dev/null >"$EMULATORS_DIR/$name.log" 2>&1
    for _ in $(seq 1 100); do
        [[ -s "$EMULATORS_DIR/$name.pgid" ]] && return 0
        sleep 0.05
    done
    _emu_say "could not start $name"
    return 1
}

# _emu_wait NAME URL EXPECTED_BODY TIMEOUT: poll URL until it answers 200 (and,
# if EXPECTED_BODY is not empty, that body). Fails early if the server exits.
_emu_wait() {
    local name="$1" url="$2" expect="$3" timeout="$4" rc=0
    "$_EMU_VENV/bin/python" - "$url" "$expect" "$timeout" "$(cat "$EMULATORS_DIR/$name.pgid")" <<'PY' || rc=$?
import os, sys, time, urllib.request
url, expect, timeout, pgid = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with opener.open(url, timeout=2) as r:
            if r.status == 200 and (not expect or r.read().decode().strip() == expect):
                sys.exit(0)
    except Exception:
        pass
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        sys.exit(2)
    time.sleep(0.25)
sys.exit(1)
PY
    if [[ $rc -ne 0 ]]; then
        if [[ $rc -eq 2 ]]; then
            _emu_say "$name exited before answering $url"
        else
            _emu_say "$name did not answer $url within ${timeout}s"
        fi
        _emu_say "last lines of $EMULATORS_DIR/$name.log:"
        tail -n 30 "$EMULATORS_DIR/$name.log" >&2
        return 1
    fi
}

# _emu_seed_denied_user URL: on the auth moto server (started with auth off),
# create IAM user "denied" with an access key and an inline policy, then turn
# auth on for every later request. Prints: access key id, secret, user ARN.
_emu_seed_denied_user() {
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        "$_EMU_VENV/bin/python" - "$1" <<'PY'
import json, sys, urllib.request
import boto3

url = sys.argv[1]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
iam.create_user(UserName="denied")
iam.put_user_policy(UserName="denied", PolicyName="describe-but-not-route-tables",
                    PolicyDocument=json.dumps({
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Resource": "*",
                             "Action": ["ec2:Describe*", "sts:GetCallerIdentity"]},
                            {"Effect": "Deny", "Resource": "*",
                             "Action": "ec2:DescribeRouteTables"},
                        ]}))
key = iam.create_access_key(UserName="denied")["AccessKey"]
arn = iam.get_user(UserName="denied")["User"]["Arn"]
# Same as INITIAL_NO_AUTH_ACTION_COUNT=0 from now on. The body must be sent as
# text/plain: with a form content type moto reads an empty body and fails.
req = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST",
                             headers={"Content-Type": "text/plain"})
urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10).read()
print(key["AccessKeyId"], key["SecretAccessKey"], arn)
PY
}

# _emu_check_prefect_auth API_URL AUTH_STRING: the Prefect API must refuse a
# request without credentials (401) and answer one with them.
_emu_check_prefect_auth() {
    "$_EMU_VENV/bin/python" - "$1" "$2" <<'PY'
import base64, sys, urllib.error, urllib.request
api, auth = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
def status(headers):
    try:
        with opener.open(urllib.request.Request(api + "/admin/version", headers=headers), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
without = status({})
with_auth = status({"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()})
if (without, with_auth) != (401, 200):
    sys.exit(f"GET {api}/admin/version: {without} without auth (want 401), {with_auth} with it (want 200)")
PY
}

# _emu_wait_standin TIMEOUT: until the stand-in says it is watching (its moto
# server answers and it schedules); fails early if it exits.
_emu_wait_standin() {
    local _
    for _ in $(seq 1 $(($1 * 10))); do
        grep -q "watching ECS services" "$EMULATORS_DIR/standin.log" 2>/dev/null && return 0
        kill -0 -- "-$(cat "$EMULATORS_DIR/standin.pgid")" 2>/dev/null || break
        sleep 0.1
    done
    _emu_say "the Fargate stand-in did not start; last lines of $EMULATORS_DIR/standin.log:"
    tail -n 30 "$EMULATORS_DIR/standin.log" >&2
    return 1
}

emulators_start() {
    local ports moto_port auth_port prefect_port relay_port seeded auth_string
    local standin_region="${PREFECT_TUI_TEST_STANDIN_REGION:-us-west-2}"
    # The stand-in runs no images, so it is told which one is broken: a tag no real
    # prefect-aws image has, whose tasks exit with code 1 at once (a failed upgrade).
    local broken_image="${PREFECT_TUI_TEST_BROKEN_IMAGE:-prefecthq/prefect-aws:0.0.0-python3.12-prefect0.0.0}"
    if [[ -n "${EMULATORS_DIR:-}" && -d "$EMULATORS_DIR" ]]; then
        _emu_say "already started (EMULATORS_DIR=$EMULATORS_DIR); call emulators_stop first"
        return 1
    fi
    emulators_venv || return 1
    emulators_faults_venv || return 1
    emulators_lint_venv || return 1
    emulators_checkov_venv || return 1
    EMULATORS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/prefect-tui-emulators.XXXXXX")"
    mkdir "$EMULATORS_DIR/prefect-home"

    ports="$(_emu_free_ports 4)"
    {
        read -r moto_port
        read -r auth_port
        read -r prefect_port
        read -r relay_port
    } <<<"$ports"

    # The plain moto server and the stand-in for Fargate: one process. TMPDIR: the
    # tasks' home directories go with $EMULATORS_DIR, even if it is killed before
    # it can remove them. Stop timeout 10 s (Fargate's is 30) keeps stops and
    # shutdowns quick; a container's own stopTimeout still wins.
    _emu_spawn standin env MOTO_IAM_LOAD_MANAGED_POLICIES=true TMPDIR="$EMULATORS_DIR" \
        "$_EMU_VENV/bin/python" -u "$_EMU_ROOT/scripts/fargate_standin.py" \
        --host 127.0.0.1 --port "$moto_port" --region "$standin_region" \
        --exits-at-once "$broken_image" \
        --in-vpc-relay "$prefect_port" --in-vpc-relay-port "$relay_port" \
        --default-stop-timeout 10 --request-log "$EMULATORS_DIR/moto.log" || { emulators_stop; return 1; }
    _emu_spawn moto-auth env MOTO_IAM_LOAD_MANAGED_POLICIES=true \
        "$_EMU_VENV/bin/moto_server" -H 127.0.0.1 -p "$auth_port" || { emulators_stop; return 1; }
    # Basic auth, as a self-hosted server would have. Hex, so no ':' or
    # spaces in the password.
    auth_string="prefect-tui:$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    # Drop the caller's PREFECT_* settings (an API URL, a database URL, a
    # profile...) so the server only sees its own fresh PREFECT_HOME.
    # shellcheck disable=SC2046
    _emu_spawn prefect env $(compgen -e | grep '^PREFECT_' | sed 's/^/-u /') \
        PREFECT_HOME="$EMULATORS_DIR/prefect-home" \
        PREFECT_SERVER_API_AUTH_STRING="$auth_string" \
        PREFECT_SERVER_ANALYTICS_ENABLED=false \
        PREFECT_SERVER_UI_ENABLED=false \
        DO_NOT_TRACK=1 \
        "$_EMU_VENV/bin/prefect" server start --host 127.0.0.1 --port "$prefect_port" \
        || { emulators_stop; return 1; }

    # GET /api/health is exempt from the server's auth; the check after it is not.
    _emu_wait standin "http://127.0.0.1:$moto_port/moto-api/" "" 30 &&
        _emu_wait_standin 30 &&
        _emu_wait moto-auth "http://127.0.0.1:$auth_port/moto-api/" "" 30 &&
        _emu_wait prefect "http://127.0.0.1:$prefect_port/api/health" true 120 &&
        _emu_wait standin "http://127.0.0.1:$relay_port/api/health" true 30 ||
        { emulators_stop 1; return 1; }
    if ! _emu_check_prefect_auth "http://127.0.0.1:$prefect_port/api" "$auth_string"; then
        _emu_say "the Prefect server's basic auth is not as expected"
        emulators_stop 1
        return 1
    fi

    if ! seeded="$(_emu_seed_denied_user "http://127.0.0.1:$auth_port" 2>"$EMULATORS_DIR/seed.log")"; then
        _emu_say "could not create the IAM user on the auth moto server:"
        tail -n 30 "$EMULATORS_DIR/seed.log" >&2
        emulators_stop 1
        return 1
    fi
    read -r PREFECT_TUI_TEST_DENIED_ACCESS_KEY_ID PREFECT_TUI_TEST_DENIED_SECRET_ACCESS_KEY \
        PREFECT_TUI_TEST_DENIED_USER_ARN <<<"$seeded"

    export PREFECT_TUI_TEST_MOTO_URL="http://127.0.0.1:$moto_port"
    export PREFECT_TUI_TEST_MOTO_AUTH_URL="http://127.0.0.1:$auth_port"
    export PREFECT_TUI_TEST_PREFECT_API_URL="http://127.0.0.1:$prefect_port/api"
    # The stand-in's relay to the same server: its address inside the VPC (standin/reach.py).
    export PREFECT_TUI_TEST_PREFECT_IN_VPC_API_URL="http://127.0.0.1:$relay_port/api"
    export PREFECT_TUI_TEST_PREFECT_AUTH_STRING="$auth_string"
    export PREFECT_TUI_TEST_STANDIN_REGION="$standin_region"
    # The image the stand-in's containers exit at once with (see --exits-at-once above).
    export PREFECT_TUI_TEST_BROKEN_IMAGE="$broken_image"
    export PREFECT_TUI_TEST_STANDIN_LOG="$EMULATORS_DIR/standin.log"
    export PREFECT_TUI_TEST_VENV="$_EMU_VENV"
    export PREFECT_TUI_TEST_MITMDUMP="$_EMU_FAULTS_VENV/bin/mitmdump"
    export PREFECT_TUI_TEST_PARLIAMENT="$_EMU_LINT_VENV/bin/parliament"
    export PREFECT_TUI_TEST_CFN_LINT="$_EMU_LINT_VENV/bin/cfn-lint"
    export PREFECT_TUI_TEST_LINT_PYTHON="$_EMU_LINT_VENV/bin/python"
    export PREFECT_TUI_TEST_CHECKOV="$_EMU_CHECKOV_VENV/bin/checkov"
    export PREFECT_TUI_TEST_DENIED_ACCESS_KEY_ID PREFECT_TUI_TEST_DENIED_SECRET_ACCESS_KEY \
        PREFECT_TUI_TEST_DENIED_USER_ARN
    _emu_say "moto $PREFECT_TUI_TEST_MOTO_URL, moto (IAM auth) $PREFECT_TUI_TEST_MOTO_AUTH_URL," \
        "prefect $PREFECT_TUI_TEST_PREFECT_API_URL, Fargate stand-in for $standin_region" \
        "(logs in $EMULATORS_DIR)"
}

# _emu_stop_group NAME TENTHS: SIGTERM the process group of NAME, SIGKILL it
# if still there after TENTHS tenths of a second.
_emu_stop_group() {
    local f="$EMULATORS_DIR/$1.pgid" pg _
    [[ -s "$f" ]] || return 0
    pg="$(cat "$f")"
    kill -TERM -- "-$pg" 2>/dev/null || true
    for _ in $(seq 1 "$2"); do
        kill -0 -- "-$pg" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pg" 2>/dev/null || true
    rm -f "$f"
}

# emulators_stop [KEEP_LOGS]: stop every server this shell started. Logs are
# kept (and their place printed) if KEEP_LOGS is non-zero or, when run from an
# EXIT trap, if the script is exiting non-zero.
emulators_stop() {
    local rc=$? keep="${1:-0}" f
    [[ -n "${EMULATORS_DIR:-}" && -d "$EMULATORS_DIR" ]] || return 0
    # The stand-in (with the plain moto server) first: it records its tasks
    # stopping before its server goes. It gives its workers 10 s to exit after
    # SIGTERM, hence its longer wait.
    _emu_stop_group standin 150
    for f in "$EMULATORS_DIR"/*.pgid; do
        [[ -s "$f" ]] || continue
        kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
    done
    for f in "$EMULATORS_DIR"/*.pgid; do
        [[ -s "$f" ]] || continue
        _emu_stop_group "$(basename "$f" .pgid)" 50
    done
    if [[ "$keep" != 0 || $rc -ne 0 ]]; then
        _emu_say "logs kept in $EMULATORS_DIR"
    else
        rm -rf "$EMULATORS_DIR"
    fi
    EMULATORS_DIR=""
    unset PREFECT_TUI_TEST_MOTO_URL PREFECT_TUI_TEST_MOTO_AUTH_URL PREFECT_TUI_TEST_PREFECT_API_URL \
        PREFECT_TUI_TEST_PREFECT_IN_VPC_API_URL \
        PREFECT_TUI_TEST_PREFECT_AUTH_STRING PREFECT_TUI_TEST_STANDIN_REGION PREFECT_TUI_TEST_STANDIN_LOG \
        PREFECT_TUI_TEST_MITMDUMP PREFECT_TUI_TEST_DENIED_ACCESS_KEY_ID PREFECT_TUI_TEST_DENIED_SECRET_ACCESS_KEY \
        PREFECT_TUI_TEST_DENIED_USER_ARN
    return 0
}
