"""engine.training.fit: events, reproducibility, dtypes, control, divergence, early stopping,
clipping, schedules, learning with every optimizer, bad input, and the weights API."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from engine import losses, metrics, network, optimizers
from engine import training as T
from engine.data import load
from engine.losses import TargetError
from engine.network import InputError, WeightsError
from engine.registry import UnknownNameError

# --------------------------------------------------------------------------- helpers


def node(nid, type_, **config):
    return {"id": nid, "type": type_, "config": config}


def mlp(hidden=(8,), activation="tanh", out_units="auto", out_activation="softmax",
        dropout=None, batch_norm=False):
    """in -> [dense (-> batch_norm) (-> dropout)]* -> out, as a spec."""
    nodes, prev = [node("in", "input")], "in"
    edges = []
    for i, units in enumerate(hidden, 1):
        chain = [node(f"h{i}", "dense", units=units, activation=activation)]
        if batch_norm:
            chain.append(node(f"bn{i}", "batch_norm"))
        if dropout:
            chain.append(node(f"drop{i}", "dropout", rate=dropout))
        for n in chain:
            nodes.append(n)
            edges.append([prev, n["id"]])
            prev = n["id"]
    nodes.append(node("out", "dense", units=out_units, activation=out_activation))
    edges.append([prev, "out"])
    return {"nodes": nodes, "edges": edges}


def blobs(n=103, seed=0, k=3):
    """``n`` 2-D points in ``k`` separable-ish clusters, labels 0..k-1."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centres = np.array([[np.cos(a), np.sin(a)] for a in 2 * np.pi * np.arange(k) / k]) * 3
    x = (centres[y] + rng.normal(size=(n, 2))).astype(np.float32)
    return x, y.astype(np.int64)


def regression(n=64, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    y = (scale * (x[:, :1] + 2 * x[:, 1:]) + scale / 2).astype(np.float32)
    return x, y


def kinds(events):
    return [type(e).__name__ for e in events]


def of(events, cls):
    return [e for e in events if isinstance(e, cls)]


def same_weights(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


CE = "sparse_categorical_crossentropy"


# --------------------------------------------------------------------------- events


def test_events_number_batches_epochs_and_iterations():
    x, y = blobs(103)
    xv, yv = blobs(30, seed=1)
    net = network.build(mlp(), 2, 3, seed=0)
    events = list(T.fit(net, x, y, loss=CE, epochs=3, batch_size=10,
                        validation_data=(xv, yv)))
    per_epoch = 11  # ceil(103 / 10)
    batches = of(events, T.BatchEnd)
    assert len(batches) == 3 * per_epoch
    assert [(b.epoch, b.batch, b.iteration) for b in batches] == [
        (e, b, e * per_epoch + b + 1) for e in range(3) for b in range(per_epoch)]
    assert [b.batch_size for b in batches[:per_epoch]] == [10] * 10 + [3]
    assert all(b.iterations_per_epoch == per_epoch for b in batches)
    # each epoch: its batches, then its EpochEnd; Finished comes last, once
    expected = (["BatchEnd"] * per_epoch + ["EpochEnd"]) * 3 + ["Finished"]
    assert kinds(events) == expected

    ends = of(events, T.EpochEnd)
    assert [e.epoch for e in ends] == [0, 1, 2]
    assert all(e.iterations == per_epoch for e in ends)
    for e in ends:
        assert set(e.train) == {"loss", "accuracy"}
        assert set(e.validation) == {"val_loss", "val_accuracy"}
        assert all(math.isfinite(v) for v in (*e.train.values(), *e.validation.values()))
        assert 0 <= e.train["accuracy"] <= 1 and 0 <= e.validation["val_accuracy"] <= 1
        assert e.lr == pytest.approx(1e-3)  # adam's default
        assert set(e.grad_norms) == {"h1", "out"}
        assert np.array(e.confusion).sum() == 30  # validation's, when there is validation

    fin = events[-1]
    assert isinstance(fin, T.Finished) and fin.reason == "completed"
    h = fin.history
    assert h.epochs == 3
    assert all(len(v) == 3 for v in (*h.train.values(), *h.validation.values(), h.lr))
    assert h.train["loss"] == [e.train["loss"] for e in ends]
    assert h.validation["val_accuracy"] == [e.validation["val_accuracy"] for e in ends]


def test_regression_reports_mae_and_no_validation_without_validation_data():
    x, y = regression()
    net = network.build(mlp(out_units=1, out_activation="linear"), 2, 1)
    events = list(T.fit(net, x, y, loss="mse", epochs=2, batch_size=16))
    ends = of(events, T.EpochEnd)
    assert all(set(e.train) == {"loss", "mae"} and e.validation is None for e in ends)
    assert all(e.confusion is None for e in ends)
    assert events[-1].history.validation == {}


def test_reported_loss_is_the_loss_of_the_network():
    # with lr 0 nothing changes, so the epoch's running loss is the network's loss on the
    # training set, and validation on the same data reports the same number
    x, y = blobs(64)
    net = network.build(mlp(), 2, 3, seed=2)
    expected, _ = net.loss_and_gradients(x, y, CE, training=False)
    events = list(T.fit(net, x, y, loss=CE, optimizer={"name": "sgd", "lr": 0.0},
                        epochs=2, batch_size=10, validation_data=(x, y)))
    for e in of(events, T.EpochEnd):
        assert e.train["loss"] == pytest.approx(expected, rel=1e-5)
        assert e.validation["val_loss"] == pytest.approx(expected, rel=1e-5)
        acc = (net.predict(x).argmax(axis=1) == y).mean()
        assert e.train["accuracy"] == pytest.approx(acc)


def test_gd_uses_the_full_batch():
    x, y = blobs(50)
    net = network.build(mlp(), 2, 3)
    events = list(T.fit(net, x, y, loss=CE, optimizer={"name": "gd", "lr": 0.1}, epochs=4,
                        batch_size=10))
    batches = of(events, T.BatchEnd)
    assert len(batches) == 4
    assert all(b.batch == 0 and b.batch_size == 50 and b.iterations_per_epoch == 1
               for b in batches)
    assert all(e.iterations == 1 for e in of(events, T.EpochEnd))


def test_batch_events_false_yields_only_epoch_and_final_events():
    x, y = blobs(40)
    events = list(T.fit(network.build(mlp(), 2, 3), x, y, loss=CE, epochs=3, batch_size=8,
                        batch_events=False))
    assert kinds(events) == ["EpochEnd"] * 3 + ["Finished"]


# --------------------------------------------------------------------------- reproducibility


def _train(spec, build_seed=0, fit_seed=0, epochs=3, **kw):
    x, y = blobs(80)
    net = network.build(spec, 2, 3, seed=build_seed, **kw)
    events = list(T.fit(net, x, y, loss=CE, optimizer={"name": "adam", "lr": 0.01},
                        epochs=epochs, batch_size=16, seed=fit_seed))
    assert isinstance(events[-1], T.Finished)
    return net.get_weights()


@pytest.mark.parametrize("dropout", [None, 0.3], ids=["plain", "dropout"])
def test_same_seed_same_weights_bit_for_bit(dropout):
    spec = mlp(hidden=(16, 8), dropout=dropout)
    first, second = _train(spec), _train(spec)
    assert same_weights(first, second)
    untrained = network.build(spec, 2, 3, seed=0).get_weights()
    assert not same_weights(first, untrained)  # it did train


@pytest.mark.parametrize("dropout", [None, 0.3], ids=["plain", "dropout"])
def test_different_seed_different_weights(dropout):
    spec = mlp(hidden=(16, 8), dropout=dropout)
    reference = _train(spec)
    assert not same_weights(reference, _train(spec, build_seed=1))  # initialization
    assert not same_weights(reference, _train(spec, fit_seed=1))  # shuffling


def test_dropout_masks_follow_the_fit_seed():
    # fit seeds the dropout masks: from the same weights, the same fit seed repeats a run
    # bit for bit whatever the build seed was, and another fit seed draws other masks
    spec = mlp(hidden=(16,), dropout=0.5)
    x, y = blobs(80)
    start = network.build(spec, 2, 3, seed=0).get_weights()

    def run(build_seed, fit_seed):
        net = network.build(spec, 2, 3, seed=build_seed)
        net.set_weights(start)
        list(T.fit(net, x, y, loss=CE, epochs=2, batch_size=16, seed=fit_seed, shuffle=False))
        return net.get_weights()

    assert same_weights(run(0, 0), run(1, 0))
    assert not same_weights(run(0, 0), run(0, 1))


# --------------------------------------------------------------------------- dtypes


def test_float64_on_request():
    x, y = blobs(60)
    net = network.build(mlp(), 2, 3, dtype="float64")
    opt = optimizers.get("adam", lr=0.01)
    events = list(T.fit(net, x, y, loss=CE, optimizer=opt, epochs=2, batch_size=16))
    assert isinstance(events[-1], T.Finished)
    assert net.params.dtype == np.float64 and net.grads.dtype == np.float64
    assert all(w.dtype == np.float64 for w in net.get_weights().values())
    assert all(s.dtype == np.float64 for s in opt.state().values())
    assert net.predict(x).dtype == np.float64


@pytest.mark.parametrize("name", optimizers.names())
def test_float32_stays_float32(name):
    x, y = blobs(60)
    x = x.astype(np.float64)  # float64 data must not upcast a float32 network
    net = network.build(mlp(batch_norm=True), 2, 3)
    opt = optimizers.get(name)
    events = list(T.fit(net, x, y, loss=CE, optimizer=opt, epochs=2, batch_size=16,
                        clip_norm=1.0, schedule={"name": "exponential", "gamma": 0.9}))
    assert isinstance(events[-1], T.Finished)
    assert net.params.dtype == np.float32 and net.grads.dtype == np.float32
    assert all(w.dtype == np.float32 for w in net.get_weights().values())
    assert all(s.dtype == np.float32 for s in opt.state().values())
    assert net.predict(x).dtype == np.float32
    _, grads = net.loss_and_gradients(x, y, CE)
    assert all(g.dtype == np.float32 for g in grads.values())


# --------------------------------------------------------------------------- control


def test_stop_from_the_loop():
    x, y = blobs(100)
    control = T.Control()
    events = []
    for ev in T.fit(network.build(mlp(), 2, 3), x, y, loss=CE, epochs=10, batch_size=10,
                    control=control):
        events.append(ev)
        if isinstance(ev, T.BatchEnd) and ev.iteration == 25:
            control.stop()
    last = events[-1]
    assert isinstance(last, T.Stopped)
    assert len(of(events, T.BatchEnd)) == 25  # nothing trained after the stop
    assert not of(events, T.Finished)
    assert last.history.epochs == 2  # the finished epochs only
    assert last.epoch == 2 and last.iteration == 25
    assert len(last.history.train["loss"]) == 2


def test_pause_from_another_thread_then_resume():
    x, y = blobs(100)
    control = T.Control()
    events, started, go = [], threading.Event(), threading.Event()
    errors = []

    def worker():
        try:
            for ev in T.fit(network.build(mlp(), 2, 3), x, y, loss=CE, epochs=5,
                            batch_size=10, control=control):
                events.append(ev)
                if len(events) == 1:
                    started.set()
                    go.wait(10)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        assert started.wait(10)
        control.pause()
        go.set()
        time.sleep(0.2)
        paused_at = len(events)
        time.sleep(0.3)
        assert len(events) == paused_at, "training went on while paused"
        assert thread.is_alive()
        assert not of(events, T.Finished)
    finally:
        control.resume()
        thread.join(30)
    assert not thread.is_alive() and not errors
    assert isinstance(events[-1], T.Finished) and events[-1].reason == "completed"
    assert len(of(events, T.BatchEnd)) == 50 and events[-1].history.epochs == 5


def test_set_lr_takes_effect_at_the_next_epoch():
    x, y = blobs(100)
    control = T.Control()
    opt = optimizers.get("sgd", lr=0.1)
    lrs_used = []
    events = []
    for ev in T.fit(network.build(mlp(), 2, 3), x, y, loss=CE, optimizer=opt, epochs=4,
                    batch_size=10, control=control):
        events.append(ev)
        if isinstance(ev, T.BatchEnd):
            lrs_used.append(opt.lr)
            if ev.epoch == 1 and ev.batch == 3:
                control.set_lr(0.02)
    assert [e.lr for e in of(events, T.EpochEnd)] == pytest.approx([0.1, 0.1, 0.02, 0.02])
    assert lrs_used == pytest.approx([0.1] * 20 + [0.02] * 20)  # the optimizer used it
    with pytest.raises(T.TrainingError, match="-1"):
        control.set_lr(-1.0)


# --------------------------------------------------------------------------- divergence


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("activation, optimizer, batch_size", [
    ("tanh", {"name": "sgd", "lr": 1e6}, 16),
    ("relu", {"name": "sgd", "lr": 1e6}, 16),
    ("tanh", {"name": "gd", "lr": 1e36}, 16),  # the blow-up happens in an epoch's last step
], ids=["sgd-tanh", "sgd-relu", "gd-tanh"])
def test_huge_learning_rate_diverges_and_keeps_finite_weights(activation, optimizer,
                                                              batch_size):
    x, y = regression(scale=1e4)
    net = network.build(mlp(hidden=(16,), activation=activation, out_units=1,
                            out_activation="linear"), 2, 1, seed=0)
    events = list(T.fit(net, x, y, loss="mse", optimizer=optimizer, epochs=20,
                        batch_size=batch_size))
    last = events[-1]
    assert isinstance(last, T.Diverged), kinds(events)
    assert not of(events, T.Finished)
    assert last.layer in net.order and last.layer != net.input_id
    assert last.quantity in ("weights", "output", "gradient", "loss")
    assert last.history.epochs == last.epoch == len(of(events, T.EpochEnd))
    assert 1 <= last.iteration <= len(of(events, T.BatchEnd)) + 1
    assert f"epoch {last.epoch + 1}" in last.message
    assert f"iteration {last.iteration}" in last.message
    assert repr(last.layer) in last.message
    assert "learning rate" in last.message  # what to try
    assert np.isfinite(net.params).all()
    assert all(np.isfinite(w).all() for w in net.get_weights().values())


# --------------------------------------------------------------------------- early stopping


def test_early_stopping_stops_and_restores_the_best_weights():
    # validation labels are the opposite of the training labels: the better the network
    # learns, the worse the validation loss, so it peaks early and early stopping must end
    ds = load({"name": "xor", "n_samples": 200, "seed": 1})
    net = network.build(mlp(hidden=(16,), out_units=1, out_activation="sigmoid"), 2, 1)
    patience, max_epochs = 2, 100
    events, last_epoch_weights = [], None
    for ev in T.fit(net, ds.x, ds.y, loss="binary_crossentropy",
                    optimizer={"name": "adam", "lr": 0.02}, epochs=max_epochs, batch_size=20,
                    validation_data=(ds.x, 1 - ds.y),
                    early_stopping=T.EarlyStopping(patience=patience)):
        events.append(ev)
        if isinstance(ev, T.EpochEnd):
            last_epoch_weights = net.get_weights()
    fin = events[-1]
    assert isinstance(fin, T.Finished) and fin.reason == "early_stopping"
    ends = of(events, T.EpochEnd)
    assert len(ends) < max_epochs
    val = [e.validation["val_loss"] for e in ends]
    assert fin.best_epoch == int(np.argmin(val))
    assert [e.improved for e in ends] == [i == 0 or v < min(val[:i]) for i, v in enumerate(val)]
    # patience = how many epochs without improvement end the run (Keras's convention, and
    # EarlyStopping's docstring): the run ends with the patience-th epoch that does not improve
    assert len(ends) == fin.best_epoch + patience + 1
    assert fin.restored_best
    assert same_weights(net.get_weights(), fin.best_weights)
    assert not same_weights(last_epoch_weights, fin.best_weights)
    # and the network is as good as the best epoch said
    loss = losses.get("binary_crossentropy")
    p = net.predict(ds.x)
    yv = loss.prepare_targets(1 - ds.y, 1)
    assert loss.value(p, yv) == pytest.approx(val[fin.best_epoch], rel=1e-4)


def test_early_stopping_on_a_plateau_from_a_dict():
    x, y = blobs(60)
    net = network.build(mlp(), 2, 3)
    events = list(T.fit(net, x, y, loss=CE, optimizer={"name": "sgd", "lr": 0.0},
                        epochs=50, batch_size=20, early_stopping={"patience": 2}))
    fin = events[-1]
    assert fin.reason == "early_stopping" and fin.best_epoch == 0
    # lr 0 never improves after epoch 0: patience 2 ends the run after epochs 1 and 2
    assert fin.history.epochs == 3


# --------------------------------------------------------------------------- clipping


def _trajectory(**clip):
    x, y = regression(scale=10.0)
    net = network.build(mlp(hidden=(8,), out_units=1, out_activation="linear"), 2, 1,
                        dtype="float64")
    params = [net.params.copy()]
    lr = 0.01
    events = []
    for ev in T.fit(net, x, y, loss="mse", optimizer={"name": "sgd", "lr": lr}, epochs=3,
                    batch_size=16, shuffle=False, **clip):
        events.append(ev)
        if isinstance(ev, T.BatchEnd):
            params.append(net.params.copy())
    assert isinstance(events[-1], T.Finished)
    return lr, np.diff(np.array(params), axis=0)


def test_clip_value_bounds_every_component_of_the_step():
    lr, free = _trajectory()
    clip = 0.5
    assert np.abs(free).max() > lr * clip  # unclipped steps are larger: the bound bites
    lr, steps = _trajectory(clip_value=clip)
    assert np.abs(steps).max() <= lr * clip * (1 + 1e-9)
    assert not np.allclose(steps, free)


def test_clip_norm_bounds_the_length_of_the_step():
    lr, free = _trajectory()
    clip = 1.0
    assert np.linalg.norm(free, axis=1).max() > lr * clip
    lr, steps = _trajectory(clip_norm=clip)
    assert np.linalg.norm(steps, axis=1).max() <= lr * clip * (1 + 1e-9)
    assert not np.allclose(steps, free)


# --------------------------------------------------------------------------- schedules


def test_step_schedule_sets_the_lr_of_each_epoch():
    x, y = blobs(40)
    opt = optimizers.get("sgd", lr=0.1)
    used = {}
    events = []
    for ev in T.fit(network.build(mlp(), 2, 3), x, y, loss=CE, optimizer=opt, epochs=7,
                    batch_size=20, schedule={"name": "step", "step_size": 2, "gamma": 0.5}):
        events.append(ev)
        if isinstance(ev, T.BatchEnd):
            used.setdefault(ev.epoch, set()).add(opt.lr)
    expected = [0.1 * 0.5 ** (e // 2) for e in range(7)]
    assert [e.lr for e in of(events, T.EpochEnd)] == pytest.approx(expected)
    assert events[-1].history.lr == pytest.approx(expected)
    # and the optimizer stepped with that rate through the whole epoch
    assert all(len(used[e]) == 1 for e in range(7))
    assert [used[e].pop() for e in range(7)] == pytest.approx(expected)


# --------------------------------------------------------------------------- learning

# Each optimizer must bring these accuracies (on the training set, evaluation mode) within
# the epoch budget below, from seed 0.  Thresholds: 0.95 on XOR (2-16-16-1 tanh, sigmoid +
# BCE, 400 noiseless samples) and 0.90 on the 3-arm spirals (2-32-32-3 relu, softmax +
# sparse CE, 600 samples, default noise 0.2).  Batch size 32 (gd: the full batch, hence
# more epochs).  The learning rates were chosen so that every optimizer clears its
# threshold with a margin over seeds 0-4 in about 2/3 of the budget.
XOR_ACCURACY = 0.95
SPIRALS_ACCURACY = 0.90
BATCH_SIZE = 32
# name: (xor lr, xor epochs, spirals lr, spirals epochs)
LEARNING = {
    "sgd": (0.5, 15, 0.1, 60),
    "gd": (1.0, 60, 0.5, 250),
    "momentum": (0.1, 15, 0.03, 60),
    "nag": (0.1, 15, 0.03, 60),
    "adagrad": (0.1, 15, 0.1, 60),
    "rmsprop": (0.01, 15, 0.003, 60),
    "adadelta": (3.0, 15, 1.0, 60),
    "adam": (0.01, 15, 0.003, 60),
    "adamw": (0.01, 15, 0.01, 60),
    "nadam": (0.01, 15, 0.01, 60),
}


def test_every_optimizer_has_a_learning_setting():
    assert set(LEARNING) == set(optimizers.names()), (
        "give every registered optimizer a learning rate and epoch budget in LEARNING")


def _accuracy(net, x, y):
    p = net.predict(x)
    pred = (p[:, 0] >= 0.5).astype(np.int64) if p.shape[1] == 1 else p.argmax(axis=1)
    return float((pred == y).mean())


def _learn(name, task):
    if name not in LEARNING:
        pytest.fail(f"optimizer {name!r} has no setting in LEARNING")
    xor_lr, xor_epochs, spirals_lr, spirals_epochs = LEARNING[name]
    if task == "xor":
        ds = load({"name": "xor", "n_samples": 400, "seed": 0})
        spec = mlp(hidden=(16, 16), activation="tanh", out_units=1, out_activation="sigmoid")
        loss, lr, epochs = "binary_crossentropy", xor_lr, xor_epochs
    else:
        ds = load({"name": "spirals", "n_samples": 600, "seed": 0})
        spec = mlp(hidden=(32, 32), activation="relu", out_units=3, out_activation="softmax")
        loss, lr, epochs = CE, spirals_lr, spirals_epochs
    net = network.build(spec, 2, None if task == "xor" else 3, seed=0)
    events = list(T.fit(net, ds.x, ds.y, loss=loss, optimizer={"name": name, "lr": lr},
                        epochs=epochs, batch_size=BATCH_SIZE, seed=0, batch_events=False))
    assert isinstance(events[-1], T.Finished), kinds(events)[-1]
    return _accuracy(net, ds.x, ds.y), epochs


@pytest.mark.parametrize("name", optimizers.names())
def test_learns_xor(name):
    accuracy, epochs = _learn(name, "xor")
    assert accuracy >= XOR_ACCURACY, f"{name}: {accuracy:.3f} after {epochs} epochs"


@pytest.mark.parametrize("name", optimizers.names())
def test_learns_spirals(name):
    accuracy, epochs = _learn(name, "spirals")
    assert accuracy >= SPIRALS_ACCURACY, f"{name}: {accuracy:.3f} after {epochs} epochs"


# --------------------------------------------------------------------------- bad input

X_OK, Y_OK = blobs(20)
X_NAN = X_OK.copy()
X_NAN[4, 1] = np.nan
Y_RANGE = Y_OK.copy()
Y_RANGE[7] = 5

BAD = {
    # case: (changes to the fit arguments, error type, fragments the message must hold)
    "x_shape": (dict(x=np.zeros((20, 3))), InputError, ["(N, 2)", "(20, 3)"]),
    "x_nan": (dict(x=X_NAN), InputError, ["NaN", "row 4"]),
    "labels_out_of_range": (dict(y=Y_RANGE), TargetError, ["5", "0..2"]),
    "empty": (dict(x=np.zeros((0, 2)), y=np.zeros((0,), np.int64)), T.TrainingError,
              ["empty"]),
    "batch_size_0": (dict(batch_size=0), T.TrainingError, ["batch_size", "0", "1 and 20"]),
    "batch_size_over_n": (dict(batch_size=21), T.TrainingError,
                          ["batch_size", "21", "1 and 20"]),
    "negative_lr": (dict(optimizer={"name": "sgd", "lr": -0.1}), ValueError,
                    ["learning rate", "-0.1", ">= 0"]),
    "unknown_loss": (dict(loss="hinge"), UnknownNameError, ["hinge", *losses.names()]),
    "unknown_optimizer": (dict(optimizer="adamax"), UnknownNameError,
                          ["adamax", *optimizers.names()]),
    "unknown_metric": (dict(metrics=["auc"]), UnknownNameError, ["auc", *metrics.names()]),
    "epochs_0": (dict(epochs=0), T.TrainingError, ["epochs", "0", ">= 1"]),
    "validation_split_1": (dict(validation_split=1.0), T.TrainingError,
                           ["validation_split", "1.0", "[0, 1)"]),
    "lengths_differ": (dict(y=Y_OK[:19]), T.TrainingError, ["20", "19"]),
    "metric_of_wrong_task": (dict(loss="mse", y=np.eye(3)[Y_OK], metrics=["accuracy"]),
                             T.TrainingError, ["accuracy", "mse", "regression"]),
    "clip_norm_0": (dict(clip_norm=0), T.TrainingError, ["clip_norm", "0", "> 0"]),
    "early_stopping_monitor": (dict(early_stopping={"monitor": "val_loss"}), T.TrainingError,
                               ["val_loss", "loss", "accuracy"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_before_training(case):
    changes, error, fragments = BAD[case]
    net = network.build(mlp(), 2, 3, seed=0)
    before = net.get_weights()
    args = dict(x=X_OK, y=Y_OK, loss=CE, optimizer=optimizers.get("adam"), epochs=2,
                batch_size=4)
    args.update(changes)
    opt = args["optimizer"]
    x, y = args.pop("x"), args.pop("y")
    with pytest.raises(error) as info:
        T.fit(net, x, y, **args)  # fit itself raises; no event is asked for
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert same_weights(net.get_weights(), before)
    if isinstance(opt, optimizers.Optimizer):
        assert opt.step_count == 0


# --------------------------------------------------------------------------- weights API


def _trained_bn_net(seed=0):
    net = network.build(mlp(hidden=(6,), batch_norm=True), 2, 3, seed=seed)
    x, y = blobs(40)
    list(T.fit(net, x, y, loss=CE, epochs=2, batch_size=8))
    return net


def test_get_set_weights_round_trip():
    net = network.build(mlp(hidden=(6,), batch_norm=True), 2, 3, seed=0)
    x, _ = blobs(40)
    start, start_out = net.get_weights(), net.predict(x)
    assert list(start) == ["h1.weight", "h1.bias", "bn1.weight", "bn1.bias", "out.weight",
                           "out.bias", "bn1.running_mean", "bn1.running_var"]
    trained = _trained_bn_net()  # same spec and seed, then trained
    assert not same_weights(trained.get_weights(), start)
    trained.set_weights(start)
    assert same_weights(trained.get_weights(), start)
    np.testing.assert_array_equal(trained.predict(x), start_out)


def test_weights_carry_over_to_another_network():
    source = _trained_bn_net(seed=0)
    target = network.build(mlp(hidden=(6,), batch_norm=True), 2, 3, seed=9)
    x, _ = blobs(30, seed=4)
    assert not np.array_equal(target.predict(x), source.predict(x))
    target.set_weights(source.get_weights())
    np.testing.assert_array_equal(target.predict(x), source.predict(x))


def test_get_weights_returns_copies():
    net = network.build(mlp(), 2, 3)
    w = net.get_weights()
    w["h1.weight"][...] = 123.0
    assert not np.any(net.get_weights()["h1.weight"] == 123.0)


def _bad(weights, case):
    bad = {k: np.zeros_like(v) for k, v in weights.items()}  # valid values, all different
    last = list(bad)[-1]
    if case == "missing":
        del bad["out.bias"]
        return bad, "out.bias"
    if case == "unknown":
        bad["h9.weight"] = np.zeros(3)
        return bad, "h9.weight"
    if case == "wrong_shape":
        bad[last] = np.zeros(bad[last].size + 1)
        return bad, last
    value = np.nan if case == "nan" else np.inf
    bad[last] = bad[last].copy()
    bad[last].flat[0] = value
    return bad, last


@pytest.mark.parametrize("case", ["missing", "unknown", "wrong_shape", "nan", "inf"])
def test_bad_weights_raise_and_change_nothing(case):
    net = _trained_bn_net()
    before = net.get_weights()
    bad, name = _bad(before, case)
    with pytest.raises(WeightsError) as info:
        net.set_weights(bad)
    assert name in str(info.value)
    assert same_weights(net.get_weights(), before)


# --------------------------------------------------------------------------- review findings


def test_batch_norm_with_a_last_batch_of_one_is_refused_before_training():
    x, y = blobs(33)
    net = network.build(mlp(batch_norm=True), 2, 3)
    with pytest.raises(T.TrainingError, match=r"bn1.*at least 2 samples.*33.*32.*holds 1"):
        T.fit(net, x, y, loss=CE, batch_size=32)
    with pytest.raises(T.TrainingError, match="at least 2 samples"):
        T.fit(net, x, y, loss=CE, batch_size=1)
    events = list(T.fit(net, x, y, loss=CE, batch_size=11, epochs=2))  # 3 batches of 11
    assert isinstance(events[-1], T.Finished)


def test_divergence_keeps_the_weights_of_the_last_finite_step():
    x, y = regression(scale=100.0)
    net = network.build(mlp(hidden=(8,), activation="relu", out_units=1,
                            out_activation="linear"), 2, 1)
    seen = [net.params.copy()]
    events = []
    for ev in T.fit(net, x, y, loss="mse", optimizer={"name": "sgd", "lr": 1e10},
                    epochs=5, batch_size=8):
        events.append(ev)
        if isinstance(ev, T.BatchEnd):
            seen.append(net.params.copy())
    diverged = events[-1]
    assert isinstance(diverged, T.Diverged)
    assert np.isfinite(seen[-1]).all()
    assert np.array_equal(net.params, seen[-1])  # exactly the weights after the last good step
    assert diverged.iteration == len(seen)  # the step that broke them is the next one
    assert diverged.layer in {"h1", "out"}
    assert f"iteration {diverged.iteration}" in diverged.message


def test_independent_sigmoid_outputs_give_a_two_class_confusion_matrix():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2)).astype(np.float32)
    y = (rng.random((60, 3)) > 0.5).astype(np.float32)  # three yes/no labels per row
    net = network.build(mlp(out_units=3, out_activation="sigmoid"), 2, 3)
    events = list(T.fit(net, x, y, loss="binary_crossentropy", epochs=1, batch_size=20))
    end = of(events, T.EpochEnd)[0]
    assert np.array(end.confusion).shape == (2, 2)
    assert np.array(end.confusion).sum() == 60 * 3


def test_soft_binary_targets_train():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = rng.uniform(0.1, 0.9, size=(40, 1)).astype(np.float32)  # probabilities, not labels
    net = network.build(mlp(out_units=1, out_activation="sigmoid"), 2, 1)
    events = list(T.fit(net, x, y, loss="binary_crossentropy", epochs=2, batch_size=10))
    assert isinstance(events[-1], T.Finished)
    with pytest.raises(TargetError, match=r"binary_crossentropy targets must lie in \[0, 1\], found -"):
        T.fit(net, x, y - 0.6, loss="binary_crossentropy")


def test_set_lr_restarts_the_schedule_from_the_new_rate():
    x, y = blobs(40)
    net = network.build(mlp(), 2, 3)
    control = T.Control()
    lrs = []
    for ev in T.fit(net, x, y, loss=CE, optimizer={"name": "sgd", "lr": 1.0}, epochs=6,
                    batch_size=40, schedule={"name": "step", "step_size": 2, "gamma": 0.1},
                    control=control):
        if isinstance(ev, T.EpochEnd):
            lrs.append(ev.lr)
            if ev.epoch == 2:
                control.set_lr(0.5)
    assert lrs == pytest.approx([1.0, 1.0, 0.1, 0.5, 0.5, 0.05])


def test_a_passed_optimizer_instance_starts_each_fit_afresh():
    x, y = blobs(40)
    opt = optimizers.get("adam", lr=0.01)
    results = []
    for _ in range(2):
        net = network.build(mlp(), 2, 3, seed=0)
        list(T.fit(net, x, y, loss=CE, optimizer=opt, epochs=2, batch_size=10))
        results.append(net.get_weights())
    assert same_weights(*results)


def test_node_ids_with_dots_build_and_name_their_parameters():
    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "block.1", "type": "dense", "config": {"units": 4}},
                      {"id": "block.1.bn", "type": "batch_norm", "config": {}},
                      {"id": "out", "type": "dense", "config": {"units": 2,
                                                               "activation": "softmax"}}],
             "edges": [["in", "block.1"], ["block.1", "block.1.bn"], ["block.1.bn", "out"]]}
    net = network.build(spec, 3, 2)
    assert list(net.parameters())[:4] == ["block.1.weight", "block.1.bias",
                                          "block.1.bn.weight", "block.1.bn.bias"]
    assert "block.1.bn.running_mean" in net.get_weights()
    assert not network.build(spec, 3, 2, initialize=False).params.any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_pickled_network_trains_exactly_as_the_original(dtype):
    """A network crosses to a spawned training process by pickle: the copy's layers must
    still train the copy's parameters (they are views into one flat vector)."""
    import pickle

    x, y = blobs()
    spec = mlp(hidden=(8, 8), batch_norm=True)
    original = network.build(spec, 2, 3, seed=5, dtype=dtype)
    trained = original.get_weights()  # different from the seed's: a few epochs first
    list(T.fit(original, x, y, loss="sparse_categorical_crossentropy", epochs=2, seed=1))
    copy = pickle.loads(pickle.dumps(original))
    assert copy.dtype == original.dtype and copy.order == original.order
    for name, value in original.get_weights().items():
        np.testing.assert_array_equal(copy.get_weights()[name], value)
    assert any(not np.array_equal(original.get_weights()[k], v) for k, v in trained.items())
    a = list(T.fit(original, x, y, loss="sparse_categorical_crossentropy", epochs=3, seed=2))
    b = list(T.fit(copy, x, y, loss="sparse_categorical_crossentropy", epochs=3, seed=2))
    assert a[-1].history.train == b[-1].history.train
    for name, value in original.get_weights().items():
        np.testing.assert_array_equal(copy.get_weights()[name], value)
    # still one vector under the layers: a change to it is a change to the layer's weight
    assert np.shares_memory(copy.params, copy.layers["h1"].p["weight"])
