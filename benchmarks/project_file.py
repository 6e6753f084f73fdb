"""Project file speed and size: a run with ~10 million float32 parameters, saved and loaded
with ``nnstudio.document.project_file`` against plain ``np.save`` / ``np.load`` of the same
arrays (one ``.npy`` file each, same folder).

Run from the repository root::

    python benchmarks/project_file.py               # 5 rounds
    python benchmarks/project_file.py --rounds 9 --units 1000 2000 2000 1500 1000
    python benchmarks/project_file.py --threads 1 --no-writeback   # the plain single pass

Rounds are interleaved (raw, project file, raw + fsync, ...) so that a noisy neighbour hurts
all alike; the medians are reported, and the best round beside them.  The project file's save
includes everything ``save`` does: validation (names, shapes, finiteness), the zip with the
CRC-32 of every byte, ``fsync`` and the atomic rename; its load includes the CRC-32 check and
the finiteness check of every weight.  ``np.save`` does neither an fsync nor a checksum, so a
second baseline adds an ``fsync`` per file to it.

The CRC-32 (about 2.3 GB/s with this machine's zlib) is computed on worker threads beside the
writing and reading (``nnstudio.document.zipio.THREADS``): with a core to spare the project
file costs little more than the raw arrays, but on a shared machine whose other core is busy
it adds its full time.  The load average printed before and after tells how busy it was.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from engine import network  # noqa: E402
from nnstudio.document import examples  # noqa: E402
from nnstudio.document import project_file, zipio  # noqa: E402
from nnstudio.document.model import Run  # noqa: E402

TARGET_RATIO = 1.5      # project file save + load against np.save + np.load
TARGET_SIZE = 1.10      # file size against the raw float32 bytes


def big_project(units: list[int]):
    """A project whose network is ``units`` (input, hidden..., output) dense layers and whose
    one run holds that network's weights (random, float32)."""
    n_features, *hidden, n_outputs = units
    nodes = [{"id": "input", "type": "input", "config": {}}]
    nodes += [{"id": f"h{i + 1}", "type": "dense", "config": {"units": u, "activation": "relu"}}
              for i, u in enumerate(hidden)]
    nodes.append({"id": "output", "type": "dense",
                  "config": {"units": "auto", "activation": "linear"}})
    spec = {"nodes": nodes, "edges": [[a["id"], b["id"]] for a, b in zip(nodes, nodes[1:])]}
    net = network.build(spec, n_features, n_outputs)
    rng = np.random.default_rng(0)
    weights = {name: rng.standard_normal(w.shape, dtype=np.float32)
               for name, w in net.get_weights().items()}
    project = examples.plane_regression()
    project.add_run(Run("run1", "big", "2026-01-01T00:00:00+00:00",
                        {"spec": spec, "n_features": n_features, "n_outputs": n_outputs,
                         "training": project.training.to_dict(),
                         "data": project.data.to_dict()},
                        history={"train": {"loss": [1.0, 0.5]}}, weights=weights))
    return project, weights


def raw_round(weights: dict, folder: pathlib.Path, fsync: bool) -> tuple[float, float]:
    t0 = time.perf_counter()
    for name, array in weights.items():
        with open(folder / f"{name}.npy", "wb") as f:
            np.save(f, array)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
    t1 = time.perf_counter()
    loaded = {name: np.load(folder / f"{name}.npy") for name in weights}
    t2 = time.perf_counter()
    assert all(loaded[k].shape == weights[k].shape for k in weights)
    return t1 - t0, t2 - t1


def project_round(project, path: pathlib.Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    project_file.save(project, path)
    t1 = time.perf_counter()
    loaded = project_file.load(path)
    t2 = time.perf_counter()
    assert loaded.runs[0].weights is not None
    return t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--units", type=int, nargs="+", default=[1000, 2000, 2000, 1500, 1000],
                        help="input, hidden and output widths of the dense network")
    parser.add_argument("--threads", type=int, default=zipio.THREADS,
                        help="threads that read and checksum (1: no worker thread)")
    parser.add_argument("--no-writeback", action="store_true",
                        help="do not start writing to disk before the final fsync")
    args = parser.parse_args(argv)
    zipio.THREADS = max(1, args.threads)
    zipio.EARLY_WRITEBACK = not args.no_writeback

    project, weights = big_project(args.units)
    n_params = sum(w.size for w in weights.values())
    raw_bytes = sum(w.nbytes for w in weights.values())
    print(f"network {'-'.join(map(str, args.units))}: {n_params:,} float32 parameters "
          f"({raw_bytes / 2**20:.1f} MiB) in {len(weights)} arrays; {args.rounds} rounds")

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores); CRC threads: {zipio.THREADS}; early writeback: "
          f"{'on' if zipio.EARLY_WRITEBACK else 'off'}")
    times: dict[str, list[tuple[float, float]]] = {"raw": [], "raw+fsync": [], "project": []}
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
        folder = pathlib.Path(tmp)
        (folder / "raw").mkdir()
        path = folder / "big.nnproj"
        # one checked round trip first (also warms the page cache for everyone)
        project_file.save(project, path)
        assert project_file.load(path) == project, "the round trip is not exact"
        file_size = path.stat().st_size
        for _ in range(args.rounds):
            times["raw"].append(raw_round(weights, folder / "raw", fsync=False))
            times["project"].append(project_round(project, path))
            times["raw+fsync"].append(raw_round(weights, folder / "raw", fsync=True))

    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def med(name, i):
        return statistics.median(t[i] for t in times[name])

    print(f"{'':24s}{'save':>9s}{'load':>9s}{'total':>9s}   (median seconds){'best':>9s}")
    for name, label in (("raw", "np.save / np.load"), ("raw+fsync", "np.save+fsync / np.load"),
                        ("project", "project file")):
        s, l = med(name, 0), med(name, 1)
        best = min(a + b for a, b in times[name])
        print(f"{label:24s}{s:9.3f}{l:9.3f}{s + l:9.3f}{'':19s}{best:9.3f}")
    total = med("project", 0) + med("project", 1)
    raw_total = med("raw", 0) + med("raw", 1)
    fsync_total = med("raw+fsync", 0) + med("raw+fsync", 1)
    ratio = total / raw_total
    print(f"ratio (save + load) vs np.save/np.load:       {ratio:.2f}x  "
          f"(target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"ratio (save + load) vs np.save+fsync/np.load: {total / fsync_total:.2f}x")
    size_ratio = file_size / raw_bytes
    print(f"file size {file_size / 2**20:.2f} MiB = {size_ratio:.4f} x raw float32 bytes "
          f"(target <= {TARGET_SIZE}x: {'met' if size_ratio <= TARGET_SIZE else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
