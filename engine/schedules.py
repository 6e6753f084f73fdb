"""Learning-rate schedules, stepped once per epoch as ``torch.optim.lr_scheduler`` is.

``schedule.start(base_lr)`` gives the rate of epoch 0; after each epoch ``e`` (0-based),
``schedule.after_epoch(e, monitored)`` returns the rate for epoch ``e + 1``.  ``monitored`` is
the value ``reduce_on_plateau`` watches (the validation loss when there is validation data,
else the training loss); the other schedules ignore it.
"""

from __future__ import annotations

import math

from .registry import Registry

SCHEDULES = Registry("schedule")


def names() -> list[str]:
    """Registered schedule names."""
    return SCHEDULES.names()


def get(spec, **overrides) -> "Schedule":
    """A schedule from a name, a config dict or an instance."""
    return SCHEDULES.get(spec, **overrides)


def _positive(name, value, allow_zero=False):
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a number {bound}, got {value}")
    return value


def _whole(name, value, low):
    """``value`` as an int >= ``low``; NaN, infinities and fractions are refused by name
    (``int()`` would raise its own ValueError/OverflowError that does not name it)."""
    try:
        ok = math.isfinite(float(value)) and int(value) == value and value >= low
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value}")
    return int(value)


class Schedule:
    """Base class: closed-form schedules implement ``lr_at(epoch)``."""

    name = "?"

    def config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config()})"

    def start(self, base_lr: float, first_epoch: int = 0) -> float:
        """Restart from ``base_lr`` at epoch ``first_epoch`` (the schedule then counts its
        epochs from there) and return that epoch's learning rate, ``base_lr``."""
        self.base_lr = float(base_lr)
        self.first_epoch = int(first_epoch)
        return self.lr_at(0)

    def after_epoch(self, epoch: int, monitored: float | None = None) -> float:
        """The learning rate for epoch ``epoch + 1`` (counting from the last ``start``)."""
        return self.lr_at(epoch + 1 - self.first_epoch)

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError


@SCHEDULES.register("constant", aliases=("none",))
class Constant(Schedule):
    """``lr_e = lr_0``."""

    def lr_at(self, epoch):
        return self.base_lr


@SCHEDULES.register("step")
class Step(Schedule):
    """``lr_e = lr_0 * gamma^floor(e / step_size)`` (torch ``StepLR``, ``gamma=0.1``)."""

    def __init__(self, step_size: int = 10, gamma: float = 0.1):
        self.step_size = _whole("step_size", step_size, 1)
        self.gamma = _positive("gamma", gamma)

    def config(self):
        return {"step_size": self.step_size, "gamma": self.gamma}

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


@SCHEDULES.register("exponential")
class Exponential(Schedule):
    """``lr_e = lr_0 * gamma^e`` (torch ``ExponentialLR``)."""

    def __init__(self, gamma: float = 0.95):
        self.gamma = _positive("gamma", gamma)

    def config(self):
        return {"gamma": self.gamma}

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


@SCHEDULES.register("cosine")
class Cosine(Schedule):
    """``lr_e = eta_min + (lr_0 - eta_min) (1 + cos(pi e / T_max)) / 2``
    (torch ``CosineAnnealingLR``, closed form)."""

    def __init__(self, t_max: int = 50, eta_min: float = 0.0):
        self.t_max = _whole("t_max", t_max, 1)
        self.eta_min = _positive("eta_min", eta_min, allow_zero=True)

    def config(self):
        return {"t_max": self.t_max, "eta_min": self.eta_min}

    def lr_at(self, epoch):
        cos = (1 + math.cos(math.pi * epoch / self.t_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cos


@SCHEDULES.register("reduce_on_plateau", aliases=("plateau",))
class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the monitored loss has not improved by more than
    ``threshold`` (relative) for more than ``patience`` epochs (torch ``ReduceLROnPlateau``,
    mode 'min', ``factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0``)."""

    def __init__(self, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        if not 0 < factor < 1:
            raise ValueError(f"factor must lie between 0 and 1 (exclusive), got {factor}")
        self.factor = float(factor)
        self.patience = _whole("patience", patience, 0)
        self.threshold = _positive("threshold", threshold, allow_zero=True)
        self.cooldown = _whole("cooldown", cooldown, 0)
        self.min_lr = _positive("min_lr", min_lr, allow_zero=True)

    def config(self):
        return {"factor": self.factor, "patience": self.patience, "threshold": self.threshold,
                "cooldown": self.cooldown, "min_lr": self.min_lr}

    def start(self, base_lr, first_epoch=0):
        self.base_lr = self.lr = float(base_lr)
        self.first_epoch = int(first_epoch)
        self.best = math.inf
        self.bad_epochs = 0
        self.cooldown_left = 0
        return self.lr

    def after_epoch(self, epoch, monitored=None):
        if monitored is None or not math.isfinite(monitored):
            return self.lr
        if monitored < self.best * (1 - self.threshold):
            self.best = monitored
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > 1e-8:  # torch's eps: ignore changes too small to matter
                self.lr = new_lr
            self.cooldown_left = self.cooldown
            self.bad_epochs = 0
        return self.lr

    def lr_at(self, epoch):
        return self.lr
