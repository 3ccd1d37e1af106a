"""The build's figures for scripts/bench: the cold build's time, the binary's size, and the
crates that took longest, from the report `cargo build --timings` writes (its UNIT_DATA).

Usage: bench_timings.py START END BINARY TIMINGS_HTML  (START and END: seconds since the epoch)

A crate's duration is its compile on one core; with 2 cores two compile at once, so the
durations add up to more than the wall time. Critical path: the crates that no other crate
was waiting on are not the build's length; the longest are.
"""

import json
import os
import re
import sys


def units(html):
    text = open(html, encoding="utf-8").read()
    match = re.search(r"const UNIT_DATA = (\[.*?\n\]);", text, re.S)
    if not match:
        sys.exit(f"bench_timings: no UNIT_DATA in {html}")
    return json.loads(match.group(1))


def main():
    start, end, binary, html = sys.argv[1:5]
    wall = float(end) - float(start)
    data = units(html)
    total = sum(u["duration"] for u in data)
    print(
        f"   cold release build: {wall:.0f} s wall ({wall / 60:.1f} min), {len(data)} units, "
        f"{total:.0f} s of compiling in all (more than the wall: two cores)"
    )
    size = os.path.getsize(binary)
    print(f"   the binary: {size / 1e6:.1f} MB ({binary.rsplit('/', 1)[-1]}, debug info stripped)")
    by_crate = {}
    for u in data:
        name = u["name"] + (" (build script)" if "build-script" in u["target"] else "")
        by_crate[name] = by_crate.get(name, 0.0) + u["duration"]
    heaviest = sorted(by_crate.items(), key=lambda kv: -kv[1])[:12]
    print("   the heaviest crates by compile time (s, one core each):")
    for name, secs in heaviest:
        print(f"     {secs:7.1f}  {name}  ({secs / total * 100:.0f}% of all compiling)")
    aws = sum(s for n, s in by_crate.items() if n.startswith("aws-"))
    print(f"   the aws-* crates together: {aws:.0f} s ({aws / total * 100:.0f}% of all compiling)")


if __name__ == "__main__":
    main()
