"""Summarises `prefect-tui verify --output json` reports: each phase's time from the one
before it (median, min, max over the runs), and the whole from the flow run's creation to
Completed. Used by scripts/bench; the phases come from Prefect's own state history."""

import json
import statistics
import sys


def main(paths: list[str]) -> None:
    reports = [json.load(open(p)) for p in paths]
    done = [r for r in reports if r.get("final_state") == "Completed"]
    print(f"   {len(done)} of {len(reports)} runs Completed")
    steps: dict[str, list[float]] = {}
    order: list[str] = []
    for r in done:
        previous = 0.0
        for phase in r["phases"]:
            name = phase["state"]
            if name not in order:
                order.append(name)
            steps.setdefault(name, []).append(phase["at_seconds"] - previous)
            previous = phase["at_seconds"]
        steps.setdefault("(task stopped, logs read)", []).append(r["seconds"] - previous)
    order.append("(task stopped, logs read)")
    print(f"   {'reached':<28}{'median':>8}{'min':>8}{'max':>8}   (seconds after the phase before)")
    for name in order:
        values = steps.get(name, [])
        if values:
            print(f"   {name:<28}{statistics.median(values):>8.1f}{min(values):>8.1f}{max(values):>8.1f}")
    totals = [r["seconds"] for r in done]
    if totals:
        print(f"   {'verify, start to end':<28}{statistics.median(totals):>8.1f}{min(totals):>8.1f}{max(totals):>8.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
