"""Learning-rate schedules, stepped once per epoch as ``torch.optim.lr_scheduler`` is.

``schedule.start(base_lr)`` gives the rate of epoch 0; after each epoch ``e`` (0-based),
``schedule.after_epoch(e, monitored)`` returns the rate for epoch ``e + 1``.  ``monitored`` is
the value ``reduce_on_plateau`` watches (the validation loss when there is validation data,
else the training loss); the other schedules ignore it.
"""

from __future__ import annotations

import math

from . import checks
from .registry import Configurable, Registry

SCHEDULES = Registry("schedule")


def names() -> list[str]:
    """Registered schedule names."""
    return SCHEDULES.names()


def get(spec, **overrides) -> "Schedule":
    """A schedule from a name, a config dict or an instance."""
    return SCHEDULES.get(spec, **overrides)


class Schedule(Configurable):
    """Base class: closed-form schedules implement ``lr_at(epoch)``."""

    def start(self, base_lr: float, first_epoch: int = 0) -> float:
        """Restart the schedule; it then counts its epochs from ``first_epoch``.

        Parameters
        ----------
        base_lr : float
            ``lr_0``, the rate of the first epoch (the optimizer's ``lr``, or one a person
            set while training).
        first_epoch : int
            The epoch of the run (0-based) that is the schedule's epoch 0.

        Returns
        -------
        float
            The learning rate of epoch ``first_epoch``: ``lr_at(0)``, which is ``base_lr``.
        """
        self.base_lr = float(base_lr)
        self.first_epoch = int(first_epoch)
        return self.lr_at(0)

    def after_epoch(self, epoch: int, monitored: float | None = None) -> float:
        """Called once after each epoch; the rate of the next one.

        Parameters
        ----------
        epoch : int
            The epoch of the run just finished (0-based, counted like ``first_epoch``).
        monitored : float, optional
            The loss ``reduce_on_plateau`` watches; the closed-form schedules ignore it.

        Returns
        -------
        float
            The learning rate of epoch ``epoch + 1``: ``lr_at(epoch + 1 - first_epoch)``.
        """
        return self.lr_at(epoch + 1 - self.first_epoch)

    def lr_at(self, epoch: int) -> float:
        """The learning rate ``lr_e`` of the schedule's epoch ``e`` (each schedule gives its
        formula), after :meth:`start`.

        Parameters
        ----------
        epoch : int
            ``e``, counted from the last ``start`` (0 is its first epoch).

        Returns
        -------
        float
        """
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
        self.step_size = checks.whole("step_size", step_size, 1)
        self.gamma = checks.number("gamma", gamma, 0, low_open=True)

    def config(self):
        return {"step_size": self.step_size, "gamma": self.gamma}

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


@SCHEDULES.register("exponential")
class Exponential(Schedule):
    """``lr_e = lr_0 * gamma^e`` (torch ``ExponentialLR``)."""

    def __init__(self, gamma: float = 0.95):
        self.gamma = checks.number("gamma", gamma, 0, low_open=True)

    def config(self):
        return {"gamma": self.gamma}

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


@SCHEDULES.register("cosine")
class Cosine(Schedule):
    """``lr_e = eta_min + (lr_0 - eta_min) (1 + cos(pi e / T_max)) / 2``
    (torch ``CosineAnnealingLR``, closed form)."""

    def __init__(self, t_max: int = 50, eta_min: float = 0.0):
        self.t_max = checks.whole("t_max", t_max, 1)
        self.eta_min = checks.number("eta_min", eta_min, 0)

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
        self.factor = checks.number("factor", factor, 0, 1, low_open=True, high_open=True)
        self.patience = checks.whole("patience", patience, 0)
        self.threshold = checks.number("threshold", threshold, 0)
        self.cooldown = checks.whole("cooldown", cooldown, 0)
        self.min_lr = checks.number("min_lr", min_lr, 0)

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
