# prefect-tui's metrics sidecar: runs beside the worker in its task (a second,
# non-essential container of the same image) and publishes, every interval, the work
# pool's backlog and online workers to CloudWatch, for the stack's alarms and scaling.
#
#   Backlog           flow runs of the pool that are due and not started: SCHEDULED
#                     (Late included) with their start time passed
#   OnlineWorkers     the pool's workers Prefect calls ONLINE
#   BacklogPerWorker  Backlog / max(OnlineWorkers, 1): what target tracking scales on
#
# It needs nothing but the image's Python, its boto3 and the worker's own settings
# (PREFECT_API_URL, and PREFECT_API_KEY or PREFECT_API_AUTH_STRING from the secret). The
# credential is sent to the Prefect API and nowhere else; it is never printed. A failed
# round is said in one line and the next one is tried: the sidecar never stops the task.
import base64
import datetime
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import boto3

API = os.environ["PREFECT_API_URL"].rstrip("/")
POOL = os.environ["PREFECT_TUI_WORK_POOL"]
NAMESPACE = os.environ["PREFECT_TUI_METRICS_NAMESPACE"]
INTERVAL = float(os.environ.get("PREFECT_TUI_METRICS_INTERVAL", "60"))


def headers():
    out = {"Content-Type": "application/json"}
    if os.environ.get("PREFECT_API_KEY"):
        out["Authorization"] = "Bearer " + os.environ["PREFECT_API_KEY"]
    elif os.environ.get("PREFECT_API_AUTH_STRING"):
        token = base64.b64encode(os.environ["PREFECT_API_AUTH_STRING"].encode()).decode()
        out["Authorization"] = "Basic " + token
    return out


def post(path, body):
    request = urllib.request.Request(API + path, data=json.dumps(body).encode(),
                                     headers=headers(), method="POST")
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.loads(answer.read() or b"null")


def backlog():
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    return int(post("/flow_runs/count", {
        "work_pools": {"name": {"any_": [POOL]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}},
                      "next_scheduled_start_time": {"before_": now}},
    }))


def online_workers():
    pool = urllib.parse.quote(POOL, safe="")
    workers = post(f"/work_pools/{pool}/workers/filter", {"limit": 200})
    return sum(1 for w in workers if w.get("status") == "ONLINE")


def publish(cloudwatch, due, online):
    cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[
        {"MetricName": "Backlog", "Value": due, "Unit": "Count"},
        {"MetricName": "OnlineWorkers", "Value": online, "Unit": "Count"},
        {"MetricName": "BacklogPerWorker", "Value": due / max(online, 1), "Unit": "Count"},
    ])


def main():
    cloudwatch = boto3.client("cloudwatch")
    print(f"publishing pool {POOL}'s backlog and online workers to {NAMESPACE} every {INTERVAL:g}s",
          flush=True)
    while True:
        try:
            due, online = backlog(), online_workers()
            publish(cloudwatch, due, online)
            print(f"backlog {due}, online workers {online}", flush=True)
        except Exception as e:  # one line, then the next round
            print(f"could not publish this round: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        time.sleep(INTERVAL)


if __name__ == "__main__":
    main()
