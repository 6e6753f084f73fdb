"""Engine speed against PyTorch eager, scikit-learn's MLPClassifier and a plain NumPy loop.

Run from the repository root (after ``pip install -e '.[bench]'``)::

    python benchmarks/engine.py                 # all three workloads, 3 rounds each
    python benchmarks/engine.py --workload playground --rounds 5

Every contender trains the same architecture on the same float32 data with the same batch
size and thread count, in this one process; rounds are interleaved (engine, torch, sklearn,
numpy, engine, ...) so that a noisy neighbour hurts all of them alike, and the median of the
rounds is reported.  The engine runs ``engine.training.fit`` as the application does: batch
events on, the epoch's loss and accuracy computed, divergence checked every batch.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this folder comes first on sys.path and this file would shadow the
# ``engine`` package; put the repository root there instead.
sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from benchmarks import baselines, workloads  # noqa: E402
from engine import network, training  # noqa: E402

# What issue 2 asks of the engine, as ratios of samples per second.
TARGETS = {
    "mnist-like": {"torch": 2.0, "sklearn": 2.0},
    "playground": {"torch": 4.0, "sklearn": 2.0},
    "covertype-like": {"torch": 1.0, "sklearn": 2.0},
}


def engine_spec(w: workloads.Workload) -> dict:
    """The workload's architecture as an engine network spec."""
    nodes = [{"id": "in", "type": "input", "config": {"units": w.n_in}}]
    for i, units in enumerate(w.hidden):
        nodes.append({"id": f"h{i + 1}", "type": "dense",
                      "config": {"units": units, "activation": w.activation}})
    nodes.append({"id": "out", "type": "dense",
                  "config": {"units": w.n_out, "activation": w.output}})
    ids = [n["id"] for n in nodes]
    return {"nodes": nodes, "edges": [[a, b] for a, b in zip(ids, ids[1:])]}


def engine_fit(w: workloads.Workload, x, y, epochs: int, seed: int = 0,
               losses: list | None = None) -> float:
    """Train with ``engine.training.fit``; return training samples per second."""
    loss = "sparse_categorical_crossentropy" if w.output == "softmax" else "binary_crossentropy"
    net = network.build(engine_spec(w), seed=seed)
    optimizer = {"name": w.optimizer, "lr": w.lr}
    # warm-up: one short fit on a slice, as the baselines run a few batches first
    for _ in training.fit(net, x[:w.batch_size * 5], y[:w.batch_size * 5], loss=loss,
                          optimizer=optimizer, epochs=1, batch_size=w.batch_size):
        pass
    net.initialize(seed)
    start = time.perf_counter()
    for event in training.fit(net, x, y, loss=loss, optimizer=optimizer, epochs=epochs,
                              batch_size=w.batch_size, seed=seed, batch_events=True):
        if isinstance(event, training.EpochEnd) and losses is not None:
            losses.append(event.train["loss"])
        elif isinstance(event, training.Diverged):
            raise RuntimeError(event.message)
    return len(x) * epochs / (time.perf_counter() - start)


CONTENDERS = {
    "engine": engine_fit,
    "torch": baselines.torch_eager,
    "sklearn": baselines.sklearn_mlp,
    "numpy": baselines.numpy_plain,
}


def run(w: workloads.Workload, rounds: int, epochs: int | None) -> dict[str, float]:
    x, y = workloads.make_data(w)
    epochs = epochs or w.epochs
    results: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(rounds):
        for name, fn in CONTENDERS.items():
            try:
                results[name].append(fn(w, x, y, epochs))
            except ImportError as exc:
                print(f"  ({name} skipped: {exc})")
                results[name] = []
                break
    return {k: statistics.median(v) for k, v in results.items() if v}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=list(workloads.WORKLOADS), action="append")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, help="override each workload's epoch count")
    args = parser.parse_args(argv)
    chosen = args.workload or list(workloads.WORKLOADS)
    print(f"numpy {np.__version__}, BLAS threads {baselines.blas_threads()}, "
          f"{args.rounds} interleaved rounds, median samples/s")
    all_met = True
    for name in chosen:
        w = workloads.WORKLOADS[name]
        sizes = "-".join(map(str, w.sizes))
        print(f"\n{name}: {sizes} {w.activation}/{w.output}, {w.optimizer} lr {w.lr}, "
              f"batch {w.batch_size}, {w.n_samples} samples, {w.epochs} epochs")
        speed = run(w, args.rounds, args.epochs)
        for contender, value in speed.items():
            line = f"  {contender:<8} {value:>12,.0f} samples/s"
            if contender != "engine" and "engine" in speed:
                ratio = speed["engine"] / value
                target = TARGETS[name].get(contender)
                mark = ""
                if target is not None:
                    met = ratio >= target
                    all_met &= met
                    mark = f"  (target >= {target:.1f}x: {'met' if met else 'NOT met'})"
                line += f"   engine / {contender} = {ratio:5.2f}x{mark}"
            print(line)
    print("\nall targets met" if all_met else "\nsome targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
