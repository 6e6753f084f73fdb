"""Engine demo: train a small MLP on a built-in dataset and print its progress.

``python -m engine.demo [--dataset spirals] [--optimizer adam] [--epochs 40] [--seed 0]``
"""

from __future__ import annotations

import argparse
import sys

from . import metrics, network, optimizers, training
from .data import synthetic


def _spec(hidden: list[int], activation: str, output_activation: str) -> dict:
    nodes = [{"id": "input", "type": "input", "config": {}}]
    for i, units in enumerate(hidden, 1):
        nodes.append({"id": f"hidden{i}", "type": "dense",
                      "config": {"units": units, "activation": activation}})
    nodes.append({"id": "output", "type": "dense",
                  "config": {"units": "auto", "activation": output_activation}})
    ids = [n["id"] for n in nodes]
    return {"nodes": nodes, "edges": [[a, b] for a, b in zip(ids, ids[1:])]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nnstudio", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="spirals", choices=synthetic.names())
    parser.add_argument("--optimizer", default="adam", choices=optimizers.names())
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    data = synthetic.load({"name": args.dataset, "n_samples": 600, "seed": args.seed})
    classify = data.task == "classification"
    loss = "sparse_categorical_crossentropy" if classify else "mse"
    spec = _spec([16, 16], "tanh", "softmax" if classify else "linear")
    net = network.build(spec, data.n_features, data.n_outputs, seed=args.seed)
    print(f"{data.name}: {data.n_samples} samples, {data.n_features} features, "
          f"{data.task}" + (f" with {data.n_classes} classes" if classify else ""))
    for row in net.summary():
        print(f"  {row['id']:<8} {row['type']:<6} {row['activation'] or '':<8} "
              f"{row['units']:>4} units {row['params']:>6} parameters")
    print(f"  total {net.n_params} parameters; loss {loss}, optimizer {args.optimizer} "
          f"(lr {args.lr}), batch {args.batch_size}, "
          f"{-(-int(data.n_samples * 0.8) // args.batch_size)} iterations per epoch")

    events = training.fit(net, data.x, data.y, loss=loss,
                          optimizer={"name": args.optimizer, "lr": args.lr},
                          epochs=args.epochs, batch_size=args.batch_size,
                          validation_split=0.2, seed=args.seed, batch_events=False)
    for event in events:
        if isinstance(event, training.EpochEnd):
            cells = "  ".join(f"{k} {v:.4f}" for k, v in {**event.train,
                                                          **(event.validation or {})}.items())
            print(f"epoch {event.epoch + 1:>3}/{args.epochs}  {cells}  "
                  f"({event.samples_per_second:,.0f} samples/s)")
        elif isinstance(event, training.Diverged):
            print(event.message)
            return 1
        elif isinstance(event, training.Finished):
            print(f"finished in {event.seconds:.2f} s; best epoch {event.best_epoch + 1}")
    if classify:
        pred = net.predict(data.x).argmax(axis=1)
        report = metrics.classification_report(data.y, pred, data.n_classes)
        print("confusion matrix on all samples (rows: true class, columns: predicted):")
        for row in report["confusion_matrix"]:
            print("  " + " ".join(f"{c:>5}" for c in row))
        print(f"accuracy {report['accuracy']:.3f}, macro F1 {report['macro']['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
