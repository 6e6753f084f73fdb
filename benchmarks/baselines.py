"""Reference trainers for the engine benchmark: PyTorch eager, scikit-learn, plain NumPy.

Each trainer has the signature ``(workload, x, y, epochs, seed) -> samples_per_second``, trains
the workload's architecture in float32 with per-epoch shuffling, and times only the training
epochs: imports, model construction and a short warm-up (a few batches, so first-call costs
such as thread start-up and allocator growth don't count) happen before the clock starts.
Pass ``losses=[]`` to collect the mean training loss of each timed epoch.

Run ``python benchmarks/baselines.py`` to print samples/s of the three for every workload.
"""

from __future__ import annotations

import math
import os
import time
import warnings

import numpy as np

WARMUP_BATCHES = 5


def blas_threads() -> int:
    """Thread count of NumPy's BLAS, read with threadpoolctl (falls back to the CPU count)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    # SciPy (pulled in by scikit-learn) loads a second OpenBLAS; prefer NumPy's own.
    ours = [i for i in blas if "numpy" in i.get("filepath", "")] or blas
    return ours[0]["num_threads"] if ours else (os.cpu_count() or 1)


def _batches(n: int, batch_size: int, rng: np.random.Generator):
    """Index arrays of one shuffled epoch (indices are shuffled, the data stays put)."""
    perm = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield perm[start:start + batch_size]


# --------------------------------------------------------------------------------------------
# PyTorch eager
# --------------------------------------------------------------------------------------------

def torch_eager(workload, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, *,
                losses: list | None = None) -> float:
    """Train with PyTorch eager on the CPU; return training samples per second.

    ``nn.Sequential`` of ``Linear`` + activation, ``CrossEntropyLoss`` on logits (softmax
    workloads) or ``BCEWithLogitsLoss`` (sigmoid workloads), ``torch.optim.Adam`` / ``SGD``
    with default (non-fused, non-foreach on CPU) settings, ``torch.set_num_threads`` equal to
    NumPy's BLAS thread count.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    """
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        raise ImportError("torch_eager needs PyTorch: pip install torch==2.13.0") from exc

    torch.set_num_threads(blas_threads())
    torch.manual_seed(seed)
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[workload.activation]
    layers: list = []
    sizes = workload.sizes
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(act())
    model = nn.Sequential(*layers)
    loss_fn = nn.CrossEntropyLoss() if workload.output == "softmax" else nn.BCEWithLogitsLoss()
    opt_cls = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[workload.optimizer]
    opt = opt_cls(model.parameters(), lr=workload.lr)

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)   # shares memory, no copy
    n, bs = len(x), workload.batch_size
    rng = np.random.default_rng(seed)

    def step(idx: np.ndarray) -> float:
        it = torch.from_numpy(idx)
        opt.zero_grad()
        loss = loss_fn(model(xt[it]), yt[it])
        loss.backward()
        opt.step()
        return loss.item()          # a real loop reports its loss; .item() is the sync point

    for idx in list(_batches(n, bs, rng))[:WARMUP_BATCHES]:
        step(idx)

    start = time.perf_counter()
    for _ in range(epochs):
        total = 0.0
        for idx in _batches(n, bs, rng):
            total += step(idx) * len(idx)
        if losses is not None:
            losses.append(total / n)
    return n * epochs / (time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# scikit-learn
# --------------------------------------------------------------------------------------------

def sklearn_mlp(workload, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, *,
                losses: list | None = None, info: dict | None = None) -> float:
    """Train scikit-learn's ``MLPClassifier``; return training samples per second.

    Same hidden sizes, activation, solver (``adam``, or ``sgd`` with momentum 0), learning
    rate and batch size; ``alpha=0`` (no L2), ``shuffle=True``, exactly ``epochs`` epochs
    (``max_iter=epochs``, ``tol=0``, no early stopping).  The timed call is ``fit``, so it
    includes sklearn's input validation and weight initialisation (a few ms).

    ``info``, if given, receives ``"dtype"``: the dtype sklearn trained in (it keeps float32
    input as float32 since 1.1).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    # A binary MLPClassifier wants 1-D 0/1 labels; it then uses one logistic output unit.
    y_fit = y.ravel() if workload.output == "sigmoid" else y

    def make(max_iter: int) -> MLPClassifier:
        return MLPClassifier(
            hidden_layer_sizes=workload.hidden, activation=workload.activation,
            solver=workload.optimizer, alpha=0.0, batch_size=workload.batch_size,
            learning_rate_init=workload.lr, max_iter=max_iter, shuffle=True,
            random_state=seed, tol=0.0, n_iter_no_change=10**9, early_stopping=False,
            momentum=0.0, nesterovs_momentum=False,
        )

    with warnings.catch_warnings():
        # max_iter is reached on purpose; sklearn warns about it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Warm-up: one epoch over a few batches, on a separate estimator.
        m = WARMUP_BATCHES * workload.batch_size
        make(1).fit(x[:m], y_fit[:m])

        clf = make(epochs)
        start = time.perf_counter()
        clf.fit(x, y_fit)
        elapsed = time.perf_counter() - start

    if clf.n_iter_ != epochs:
        raise RuntimeError(f"sklearn stopped after {clf.n_iter_} of {epochs} epochs")
    if losses is not None:
        losses.extend(float(v) for v in clf.loss_curve_)
    if info is not None:
        info["dtype"] = str(clf.coefs_[0].dtype)
    return len(x) * epochs / elapsed


# --------------------------------------------------------------------------------------------
# Plain NumPy
# --------------------------------------------------------------------------------------------

class _PlainMLP:
    """A hand-written float32 MLP trainer: the "plain NumPy loop" baseline.

    All weights and biases are views into one flat parameter vector, and their gradients views
    into one flat gradient vector, so the optimizer update is a handful of whole-vector ops.
    Weights are stored ``(fan_in, fan_out)`` so the forward pass is ``a @ W + b``; they start
    like ``torch.nn.Linear`` (uniform in +-1/sqrt(fan_in)).  Adam follows ``torch.optim.Adam``.
    Python floats are used for every scalar: under NumPy 2 they keep float32 arrays float32,
    where a NumPy float64 scalar would upcast.
    """

    def __init__(self, workload, seed: int):
        self.w = workload
        sizes = workload.sizes
        shapes = [s for a, b in zip(sizes[:-1], sizes[1:]) for s in ((a, b), (b,))]
        total = sum(math.prod(s) for s in shapes)
        self.params = np.empty(total, np.float32)
        self.grads = np.zeros(total, np.float32)

        def views(flat):
            out, offset = [], 0
            for shape in shapes:
                size = math.prod(shape)
                out.append(flat[offset:offset + size].reshape(shape))
                offset += size
            return out

        p, g = views(self.params), views(self.grads)
        self.W, self.b = p[0::2], p[1::2]
        self.dW, self.db = g[0::2], g[1::2]
        rng = np.random.default_rng(seed)
        for W, b in zip(self.W, self.b):
            bound = 1.0 / math.sqrt(W.shape[0])
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)

        self.tmp = np.empty_like(self.params)     # scratch for the optimizer update
        if workload.optimizer == "adam":
            self.m = np.zeros_like(self.params)
            self.v = np.zeros_like(self.params)
            self.t = 0
        self.update = {"adam": self._adam, "sgd": self._sgd}[workload.optimizer]
        self.loss_grad = {"softmax": self._softmax_ce,
                          "sigmoid": self._sigmoid_bce}[workload.output]
        self.rows = np.arange(workload.batch_size)

    # --- losses: return the mean loss and overwrite the logits with dLoss/dlogits ----------

    def _softmax_ce(self, z: np.ndarray, y: np.ndarray) -> float:
        """Fused softmax + cross-entropy: loss = mean(logsumexp(z) - z[y]); grad = (p - 1_y) / B."""
        n = len(z)
        rows = self.rows[:n]
        z -= z.max(axis=1, keepdims=True)
        picked = z[rows, y]
        np.exp(z, out=z)
        s = z.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s).ravel() - picked))
        z /= s
        z[rows, y] -= 1.0
        z *= 1.0 / n
        return loss

    def _sigmoid_bce(self, z: np.ndarray, y: np.ndarray) -> float:
        """Fused sigmoid + BCE on logits, in the stable form torch uses:
        loss = mean(max(z, 0) - z*y + log1p(exp(-|z|))); grad = (sigmoid(z) - y) / B."""
        n = len(z)
        loss = float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))
        # sigmoid(z) = (1 + tanh(z/2)) / 2 never overflows.
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5
        z -= y
        z *= 1.0 / n
        return loss

    # --- one training step ---------------------------------------------------------------

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """Forward, loss, backward and optimizer update on one batch; returns the batch loss."""
        relu = self.w.activation == "relu"
        acts = [xb]
        last = len(self.W) - 1
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            z = acts[-1] @ W
            z += b
            if i < last:
                if relu:
                    np.maximum(z, 0.0, out=z)
                else:
                    np.tanh(z, out=z)
            acts.append(z)

        g = acts.pop()                      # logits, overwritten by dLoss/dlogits
        loss = self.loss_grad(g, yb)
        for i in range(last, -1, -1):
            a = acts[i]
            np.matmul(a.T, g, out=self.dW[i])
            np.sum(g, axis=0, out=self.db[i])
            if i == 0:
                break                       # no gradient needed w.r.t. the input
            g = g @ self.W[i].T
            if relu:
                g *= a > 0
            else:
                g *= 1.0 - a * a            # tanh' written with the stored output a = tanh(z)
        self.update()
        return loss

    def _sgd(self) -> None:
        np.multiply(self.grads, self.w.lr, out=self.tmp)
        self.params -= self.tmp

    def _adam(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        """torch.optim.Adam: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).

        Deliberately plain: nothing flushes tiny moments to zero.  Parameters whose gradient
        stays exactly 0 (dead ReLU units) see ``m`` decay by 0.9 a step into float32 denormals
        after ~800 steps, and every pass over the vector then slows down several times (seen
        on mnist-like from epoch 3; torch's default Adam slows too, less).
        """
        g, m, v, tmp = self.grads, self.m, self.v, self.tmp
        self.t += 1
        bc1 = 1.0 - beta1 ** self.t
        bc2 = 1.0 - beta2 ** self.t
        m *= beta1
        np.multiply(g, 1.0 - beta1, out=tmp)
        m += tmp
        v *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp *= 1.0 / math.sqrt(bc2)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.w.lr / bc1
        self.params -= tmp


def numpy_plain(workload, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, *,
                losses: list | None = None) -> float:
    """Train with a plain, hand-written float32 NumPy loop; return training samples per second.

    Straightforward and reasonably efficient (flat parameter vector, fused softmax/sigmoid +
    cross-entropy gradient, index shuffling, no gradient for the input), nothing fancy.
    """
    if x.dtype != np.float32:
        raise TypeError(f"numpy_plain expects float32 x, got {x.dtype}")
    net = _PlainMLP(workload, seed)
    n, bs = len(x), workload.batch_size
    rng = np.random.default_rng(seed)

    for idx in list(_batches(n, bs, rng))[:WARMUP_BATCHES]:
        net.step(x[idx], y[idx])

    start = time.perf_counter()
    for _ in range(epochs):
        total = 0.0
        for idx in _batches(n, bs, rng):
            total += net.step(x[idx], y[idx]) * len(idx)
        if losses is not None:
            losses.append(total / n)
    return n * epochs / (time.perf_counter() - start)


BASELINES = {"torch": torch_eager, "sklearn": sklearn_mlp, "numpy": numpy_plain}


def main(argv: list[str] | None = None) -> None:
    """Print samples/s of the three baselines for each workload (best of ``--repeat`` runs)."""
    import argparse

    if __package__:
        from .workloads import WORKLOADS, make_data
    else:                                   # run as a script: python benchmarks/baselines.py
        from workloads import WORKLOADS, make_data

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"any of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per timing; the best is shown (the machine is noisy)")
    args = parser.parse_args(argv)
    unknown = [k for k in args.workloads if k not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(WORKLOADS)}")

    t0 = time.perf_counter()
    print(f"numpy {np.__version__}, BLAS threads {blas_threads()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    for w in (WORKLOADS[k] for k in (args.workloads or WORKLOADS)):
        x, y = make_data(w)
        print(f"\n{w.name}: {'-'.join(map(str, w.sizes))}, {w.activation}, {w.output}, "
              f"{w.optimizer} lr={w.lr}, batch {w.batch_size}, {w.n_samples} samples, "
              f"{w.n_params} params, {w.epochs} epochs")
        rates = {}
        for name, trainer in BASELINES.items():
            losses: list[float] = []
            extra: dict = {}
            kwargs = {"info": extra} if name == "sklearn" else {}
            try:
                runs = [trainer(w, x, y, w.epochs, 0, losses=losses, **kwargs)
                        for _ in range(args.repeat)]
            except ImportError as exc:
                print(f"  {name:8s} skipped: {exc}")
                continue
            rates[name] = max(runs)
            note = f", trained in {extra['dtype']}" if extra else ""
            print(f"  {name:8s} {rates[name]:10,.0f} samples/s   (loss {losses[0]:.4f} -> "
                  f"{losses[w.epochs - 1]:.4f}{note})")
        if "numpy" in rates:
            ratios = ", ".join(f"{rates['numpy'] / r:.2f}x {k}" for k, r in rates.items()
                               if k != "numpy")
            print(f"  numpy vs: {ratios}")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
