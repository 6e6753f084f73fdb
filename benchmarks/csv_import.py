"""CSV import speed and memory: ``engine.data.read_csv`` against ``pandas.read_csv``.

Run from the repository root (pandas is needed here only, never by NN Studio itself)::

    python benchmarks/csv_import.py                 # 1,000,000 rows, 3 rounds
    python benchmarks/csv_import.py --rows 200000 --rounds 1
    python benchmarks/csv_import.py --threads 1     # the importer on one core
    python benchmarks/csv_import.py --file /tmp/bench.csv   # written once, then reused

A generated file of ``--rows`` rows x 20 columns (16 numeric with 6 significant digits, 3
categorical with 4, 50 and 4 levels, an integer label) is written once to a temporary folder
(or to ``--file``, if it is not there yet).  Each measurement runs in a fresh interpreter:
time is the median wall time of the read, and "cpu s" its processor time summed over threads
(the importer parses numbers on up to ``engine.data.csv_import.THREADS`` threads: on one while
other programs keep the cores busy; pandas converts strings on several);
peak memory is the process's peak resident set (``VmHWM``, reset before the read through
``/proc/self/clear_refs``) minus its resident set just before the read.  Targets (issue 5):
time <= 1.5x pandas, peak memory <= 3x the final float32 array (rows x 20 x 4 bytes).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
which, path, threads = {which!r}, {path!r}, {threads!r}
if which == "pandas":
    import pandas as pd
    read = lambda: pd.read_csv(path)
else:
    from engine.data import csv_import
    from engine.data.csv_import import read_csv
    if threads:   # forced, whatever the load of the machine
        csv_import._threads = lambda: threads
    read = lambda: read_csv(path, target="label")
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
try:   # reset the peak (VmHWM) so that what the imports touched does not count
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
base = status("VmRSS:")
t, c = time.perf_counter(), time.process_time()
out = read()
seconds, cpu = time.perf_counter() - t, time.process_time() - c
peak = status("VmHWM:")
rows = len(out) if which == "pandas" else out.n_rows
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_bytes": peak - base, "rows": rows}}))
"""


def generate(path: pathlib.Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    levels = [np.array(["red", "green", "blue", "cyan"]),
              np.array([f"city{i}" for i in range(50)]),
              np.array(["low", "mid", "high", "top"])]
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join([f"num{i}" for i in range(16)] + ["colour", "city", "grade", "label"])
                + "\n")
        for start in range(0, rows, 100_000):
            m = min(100_000, rows - start)
            cols = [np.char.mod("%.6g", rng.normal(size=m) * 10.0 ** rng.integers(-2, 3))
                    for _ in range(16)]
            cols += [lv[rng.integers(0, len(lv), m)] for lv in levels]
            cols.append(rng.integers(0, 3, m).astype(str))
            f.write("\n".join(",".join(r) for r in zip(*cols)) + "\n")


def measure(which: str, path: pathlib.Path, threads: int | None = None) -> dict:
    code = CHILD.format(root=str(ROOT), which=which, path=str(path), threads=threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads the importer parses numbers on (default: its own choice)")
    parser.add_argument("--file", type=pathlib.Path, default=None,
                        help="CSV file to write once and reuse (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or pathlib.Path(tmp) / "bench.csv"
        if path.exists():
            print(f"file: {path} (reused), {path.stat().st_size / 2**20:.1f} MiB")
        else:
            t = time.perf_counter()
            generate(path, args.rows)
            print(f"file: {args.rows:,} rows x 20 columns, {path.stat().st_size / 2**20:.1f} MiB "
                  f"(written in {time.perf_counter() - t:.1f} s)")
        results: dict[str, list[dict]] = {"pandas": [], "engine": []}
        for _ in range(args.rounds):   # interleaved, so a busy neighbour hurts both alike
            for which in results:
                results[which].append(measure(which, path, args.threads))
    rows = results["pandas"][0]["rows"]
    assert all(r["rows"] == rows for v in results.values() for r in v), "row counts differ"
    final = rows * 20 * 4
    secs = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r["cpu"] for r in v) for k, v in results.items()}
    peak = {k: statistics.median(r["peak_bytes"] for r in v) for k, v in results.items()}
    print(f"{'':18s}{'median s':>10s}{'best s':>10s}{'cpu s':>10s}{'peak MiB':>10s}")
    for k in results:
        best = min(r["seconds"] for r in results[k])
        print(f"{k + (' read_csv' if k == 'engine' else '.read_csv'):18s}{secs[k]:10.2f}"
              f"{best:10.2f}{cpu[k]:10.2f}{peak[k] / 2**20:10.1f}")
    time_ratio = secs["engine"] / secs["pandas"]
    mem_ratio = peak["engine"] / final
    print(f"time ratio engine / pandas: {time_ratio:.2f}x (target <= 1.5x: "
          f"{'met' if time_ratio <= 1.5 else 'NOT met'})")
    print(f"peak memory / final float32 array ({final / 2**20:.1f} MiB): {mem_ratio:.2f}x "
          f"(target <= 3x: {'met' if mem_ratio <= 3 else 'NOT met'}); pandas: "
          f"{peak['pandas'] / final:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
