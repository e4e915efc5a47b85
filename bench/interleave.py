"""One child measure of bench/metrics.py from several worktrees, in turns, on the same data.

Usage (after ``bench/metrics.py`` has generated its data in the database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_metrics python bench/interleave.py \\
        [--mode full|themes] [--runs 3] [--workspace 1] [--journey 6] TREE [TREE ...]

Each TREE is a git worktree of MOT (``git worktree add /work/mot-before <commit>``): its own
``bench/metrics.py --child MODE`` runs in it, so each measures its own code. Run i goes through
the trees in order, run i + 1 in reverse order, so that the load of a shared machine hits them
alike. Prints each run (seconds, load average, the engine's steps) and each tree's median, and
the ratio of the last tree's median to the first's. A tree whose code predates a migration of
the database still reads it (the full recompute and the themes job only write metric tables).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["full", "themes"], default="full")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workspace", type=int, default=1)
    parser.add_argument("--journey", type=int, default=6)
    parser.add_argument("trees", nargs="+")
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {tree: [] for tree in args.trees}
    for i in range(args.runs):
        for tree in args.trees if i % 2 == 0 else args.trees[::-1]:
            load = os.getloadavg()[0]
            command = [sys.executable, "bench/metrics.py", "--child", args.mode]
            command += ["--workspace", str(args.workspace), "--journey", str(args.journey)]
            done = subprocess.run(
                [*command, "--run", str(i)], cwd=tree, capture_output=True, text=True
            )
            if done.returncode:
                sys.exit(f"{tree} failed:\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            seconds[tree].append(result["seconds"])
            steps = {k: round(v[0], 2) for k, v in result.get("steps", {}).items()}
            print(
                f"{time.strftime('%H:%M:%S')} {tree} run {i}: {result['seconds']:.2f} s "
                f"(load {load:.1f}) rows {result.get('rows')} {steps}",
                flush=True,
            )
    for tree, runs in seconds.items():
        each = ", ".join(f"{s:.2f}" for s in runs)
        print(f"{tree}: median {statistics.median(runs):.2f} s ({each})")
    first, last = (statistics.median(seconds[t]) for t in (args.trees[0], args.trees[-1]))
    print(f"ratio {args.trees[-1]} / {args.trees[0]}: {last / first:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
