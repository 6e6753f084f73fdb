"""Optimizers, following ``torch.optim``'s single-tensor algorithms and defaults.

An optimizer updates one flat parameter vector in place from the flat gradient vector of the
same size (``Network.params`` / ``Network.grads``)::

    opt = optimizers.get("adam", lr=0.01)
    opt.step(params, grads)          # params -= update(grads, state)

Working on one contiguous vector instead of a list of tensors is what ``torch.optim``'s
``foreach``/``fused`` paths do too: a step costs a dozen NumPy calls however many layers the
network has.  State (moments, accumulators) is created on the first ``step`` and has the
parameters' dtype.  ``step_count`` counts the steps taken (torch's ``state['step']``).

Weight decay is torch's coupled L2 form ``g <- g + weight_decay * p`` except for ``adamw``
(and ``nadam`` with ``decoupled_weight_decay``), which shrink ``p <- p (1 - lr wd)`` first.
"""

from __future__ import annotations

import math

import numpy as np

from . import checks
from .registry import Configurable, Registry

OPTIMIZERS = Registry("optimizer")


def names() -> list[str]:
    """Registered optimizer names."""
    return OPTIMIZERS.names()


def get(spec, **overrides) -> "Optimizer":
    """An optimizer from a name, a config dict or an instance."""
    return OPTIMIZERS.get(spec, **overrides)


class Optimizer(Configurable):
    """Base class.

    Attributes
    ----------
    lr : float
        Learning rate; may be changed between steps (schedules do).
    full_batch : bool
        True only for ``gd``: ``fit`` then uses the whole training set as one batch.
    family : str
        Where it sits in the glossary's lineage (shown in the GUI).
    """

    full_batch = False
    family = ""

    # Updates run over slices of this many elements: each slice's parameters, gradients and
    # state stay in cache across the dozen NumPy passes of a step (40% faster for Adam on
    # half a million parameters than whole-vector passes).
    CHUNK = 65536
    # Every this many steps, state values below the smallest normal float become exactly 0:
    # moments of weights whose gradient stays 0 (dead ReLUs) decay into subnormal numbers,
    # which make every later pass over the state several times slower.
    FLUSH_EVERY = 128

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr = checks.number("learning rate", lr, 0)
        self.weight_decay = checks.number("weight_decay", weight_decay, 0)
        self.step_count = 0
        self._size: int | None = None
        self._state: dict[str, np.ndarray] = {}

    def config(self) -> dict:
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def reset(self) -> None:
        """Forget all state (moments, step count)."""
        self.step_count = 0
        self._size = None
        self._state = {}

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Take one optimization step: ``p_t = p_{t-1} - update_t(g_t, state_{t-1})``.

        Every optimizer follows this contract; its class docstring gives its
        ``update_t`` (torch's single-tensor algorithm).  ``step_count`` becomes ``t``; the
        state (moments, accumulators) is created, with the parameters' dtype, on the first
        step and updated in place on every step.

        Parameters
        ----------
        params : ndarray, shape (P,)
            All parameters as one flat vector (``Network.params``), updated in place.
        grads : ndarray, shape (P,), same dtype
            ``dL/dp`` (``Network.grads``); may be overwritten with intermediate values
            (weight decay is added into it).

        Raises
        ------
        ValueError
            If ``P`` differs from the size the optimizer's state was made for (call
            :meth:`reset` first).
        """
        if self._size != params.size:
            if self._size is not None:
                raise ValueError(
                    f"this optimizer holds state for {self._size} parameters, got "
                    f"{params.size}; call reset() before using it on another network")
            self._size = params.size
            self._state = {name: np.full_like(params, self._initial_value(name))
                           for name in self._state_names()}
            self._tmp = np.empty_like(params)
        self.step_count += 1
        self._begin_step()
        n, k = params.size, self.CHUNK
        if n <= k:
            self._update(params, grads, self._tmp, self._state)
        else:
            for lo in range(0, n, k):
                sl = slice(lo, lo + k)
                self._update(params[sl], grads[sl], self._tmp[sl],
                             {name: arr[sl] for name, arr in self._state.items()})
        if self.step_count % self.FLUSH_EVERY == 0:
            tiny = np.finfo(params.dtype).tiny
            for arr in self._state.values():
                np.copyto(arr, 0, where=np.abs(arr) < tiny)

    def state(self) -> dict[str, np.ndarray]:
        """The optimizer's state arrays by name, as torch names them (empty before the
        first step)."""
        return dict(self._state)

    # -- for subclasses -------------------------------------------------------------------
    def _state_names(self) -> list[str]:
        """Names of the per-parameter state arrays (created at the first step)."""
        return []

    def _initial_value(self, name: str) -> float:
        return 0.0

    def _begin_step(self) -> None:
        """Per-step scalars (bias corrections), computed once before the chunks."""

    def _update(self, p: np.ndarray, g: np.ndarray, tmp: np.ndarray, s: dict) -> None:
        """Update one slice: parameters ``p``, gradients ``g`` (scratch), a scratch buffer
        ``tmp`` and the state slices ``s`` by name."""
        raise NotImplementedError

    def _coupled_decay(self, p, g):
        if self.weight_decay:
            g += p * p.dtype.type(self.weight_decay)


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (torch ``SGD``, ``lr=1e-3``).

    ``b_1 = g_1``, ``b_t = mu b_{t-1} + (1 - dampening) g_t``;
    ``p <- p - lr (g_t + mu b_t)`` with ``nesterov``, else ``p <- p - lr b_t``;
    without momentum ``p <- p - lr g_t``.
    """

    family = "GD -> SGD -> momentum -> NAG"

    def __init__(self, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.momentum = checks.number("momentum", momentum, 0)
        self.dampening = checks.number("dampening", dampening, 0, 1)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def config(self):
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}

    def _state_names(self):
        return ["momentum_buffer"] if self.momentum else []

    def _update(self, p, g, tmp, s):
        t = p.dtype.type
        self._coupled_decay(p, g)
        if self.momentum:
            buf = s["momentum_buffer"]
            if self.step_count == 1:
                np.copyto(buf, g)
            else:
                buf *= t(self.momentum)
                if self.dampening:
                    np.multiply(g, t(1 - self.dampening), out=tmp)
                    buf += tmp
                else:
                    buf += g
            if self.nesterov:
                np.multiply(buf, t(self.momentum), out=tmp)
                g += tmp
            else:
                g = buf
        np.multiply(g, t(self.lr), out=tmp)
        p -= tmp


@OPTIMIZERS.register("gd", aliases=("batch_gd", "gradient_descent"))
class GD(SGD):
    """Gradient descent on the full training set: one step per epoch (``SGD``, full batch)."""

    full_batch = True


@OPTIMIZERS.register("momentum")
class Momentum(SGD):
    """SGD with heavy-ball momentum, ``momentum=0.9`` (torch ``SGD(momentum=0.9)``)."""

    def __init__(self, lr: float = 1e-3, momentum: float = 0.9, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, momentum, dampening, nesterov, weight_decay)


@OPTIMIZERS.register("nag", aliases=("nesterov",))
class NAG(SGD):
    """Nesterov accelerated gradient (torch ``SGD(momentum=0.9, nesterov=True)``)."""

    def __init__(self, lr: float = 1e-3, momentum: float = 0.9, dampening: float = 0.0,
                 nesterov: bool = True, weight_decay: float = 0.0):
        super().__init__(lr, momentum, dampening, nesterov, weight_decay)


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (torch defaults ``lr=0.01, lr_decay=0, initial_accumulator_value=0, eps=1e-10``).

    ``s_t = s_{t-1} + g^2``; ``p <- p - lr_t g / (sqrt(s_t) + eps)``,
    ``lr_t = lr / (1 + (t - 1) lr_decay)``.
    """

    family = "Adagrad -> RMSProp / AdaDelta -> Adam -> Nadam"

    def __init__(self, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__(lr, weight_decay)
        self.lr_decay = checks.number("lr_decay", lr_decay, 0)
        self.initial_accumulator_value = checks.number(
            "initial_accumulator_value", initial_accumulator_value, 0)
        self.eps = checks.number("eps", eps, 0)

    def config(self):
        return {"lr": self.lr, "lr_decay": self.lr_decay, "weight_decay": self.weight_decay,
                "initial_accumulator_value": self.initial_accumulator_value, "eps": self.eps}

    def _state_names(self):
        return ["sum"]

    def _initial_value(self, name):
        return self.initial_accumulator_value

    def _begin_step(self):
        self._clr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)

    def _update(self, p, g, tmp, s):
        t = p.dtype.type
        self._coupled_decay(p, g)
        np.multiply(g, g, out=tmp)
        s["sum"] += tmp
        np.sqrt(s["sum"], out=tmp)
        tmp += t(self.eps)
        np.divide(g, tmp, out=tmp)
        tmp *= t(self._clr)
        p -= tmp


@OPTIMIZERS.register("rmsprop")
class RMSProp(Optimizer):
    """RMSProp (torch defaults ``lr=0.01, alpha=0.99, eps=1e-8, momentum=0, centered=False``).

    ``v_t = alpha v_{t-1} + (1 - alpha) g^2``; centered: ``m_t = alpha m + (1 - alpha) g``
    and ``v~ = v_t - m_t^2``; ``d = sqrt(v~) + eps``; without momentum ``p <- p - lr g / d``,
    with it ``b_t = mu b_{t-1} + g / d`` and ``p <- p - lr b_t``.
    """

    family = "Adagrad -> RMSProp / AdaDelta -> Adam -> Nadam"

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(lr, weight_decay)
        self.alpha = checks.number("alpha", alpha, 0, 1)
        self.eps = checks.number("eps", eps, 0)
        self.momentum = checks.number("momentum", momentum, 0)
        self.centered = bool(centered)

    def config(self):
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps,
                "weight_decay": self.weight_decay, "momentum": self.momentum,
                "centered": self.centered}

    def _state_names(self):
        return (["square_avg"] + (["grad_avg"] if self.centered else [])
                + (["momentum_buffer"] if self.momentum else []))

    def _update(self, p, g, tmp, s):
        t, a = p.dtype.type, self.alpha
        sq = s["square_avg"]
        self._coupled_decay(p, g)
        sq *= t(a)
        np.multiply(g, g, out=tmp)
        tmp *= t(1 - a)
        sq += tmp
        if self.centered:
            avg = s["grad_avg"]
            np.subtract(g, avg, out=tmp)
            tmp *= t(1 - a)
            avg += tmp
            np.multiply(avg, avg, out=tmp)
            np.subtract(sq, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(sq, out=tmp)
        tmp += t(self.eps)
        np.divide(g, tmp, out=tmp)
        if self.momentum:
            buf = s["momentum_buffer"]
            buf *= t(self.momentum)
            buf += tmp
            np.multiply(buf, t(self.lr), out=tmp)
        else:
            tmp *= t(self.lr)
        p -= tmp


@OPTIMIZERS.register("adadelta")
class AdaDelta(Optimizer):
    """AdaDelta (torch defaults ``lr=1.0, rho=0.9, eps=1e-6``).

    ``v_t = rho v + (1 - rho) g^2``; ``d = sqrt(u + eps) / sqrt(v_t + eps) * g``;
    ``u_t = rho u + (1 - rho) d^2``; ``p <- p - lr d``.
    """

    family = "Adagrad -> RMSProp / AdaDelta -> Adam -> Nadam"

    def __init__(self, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.rho = checks.number("rho", rho, 0, 1)
        self.eps = checks.number("eps", eps, 0)

    def config(self):
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps,
                "weight_decay": self.weight_decay}

    def _state_names(self):
        return ["square_avg", "acc_delta"]

    def _update(self, p, g, tmp, s):
        t, rho = p.dtype.type, self.rho
        sq, acc = s["square_avg"], s["acc_delta"]
        self._coupled_decay(p, g)
        sq *= t(rho)
        np.multiply(g, g, out=tmp)
        tmp *= t(1 - rho)
        sq += tmp
        std = np.add(sq, t(self.eps))
        np.sqrt(std, out=std)
        np.add(acc, t(self.eps), out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp /= std
        tmp *= g
        acc *= t(rho)
        np.multiply(tmp, tmp, out=std)
        std *= t(1 - rho)
        acc += std
        tmp *= t(self.lr)
        p -= tmp


class _AdamBase(Optimizer):
    family = "Adagrad -> RMSProp / AdaDelta -> Adam -> Nadam"
    decoupled_weight_decay = False

    def __init__(self, lr, beta1, beta2, eps, weight_decay):
        super().__init__(lr, weight_decay)
        self.beta1 = checks.number("beta1", beta1, 0, 1, high_open=True)
        self.beta2 = checks.number("beta2", beta2, 0, 1, high_open=True)
        self.eps = checks.number("eps", eps, 0)

    def config(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "weight_decay": self.weight_decay}

    def _state_names(self):
        return ["exp_avg", "exp_avg_sq"]

    def _decay_and_moments(self, p, g, tmp, s):
        """Weight decay, decoupled ``p <- p (1 - lr wd)`` or coupled ``g <- g + wd p``, then
        the moments ``m <- m + (1 - b1)(g - m)`` (torch's lerp), ``v <- b2 v + (1 - b2) g^2``.

        One method for both (not two) because it runs once per slice of every step.
        """
        t = g.dtype.type
        if self.decoupled_weight_decay:
            if self.weight_decay:
                p *= t(1 - self.lr * self.weight_decay)
        else:
            self._coupled_decay(p, g)
        m, v = s["exp_avg"], s["exp_avg_sq"]
        np.subtract(g, m, out=tmp)
        tmp *= t(1 - self.beta1)
        m += tmp
        v *= t(self.beta2)
        np.multiply(g, g, out=tmp)
        tmp *= t(1 - self.beta2)
        v += tmp


@OPTIMIZERS.register("adam")
class Adam(_AdamBase):
    """Adam (torch defaults ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``).

    ``m_t = b1 m + (1 - b1) g``, ``v_t = b2 v + (1 - b2) g^2``,
    ``p <- p - lr / (1 - b1^t) * m_t / (sqrt(v_t) / sqrt(1 - b2^t) + eps)``.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def _begin_step(self):
        step = self.step_count
        bc2_sqrt = math.sqrt(1 - self.beta2 ** step)
        # lr/bc1 * m / (sqrt(v)/bc2_sqrt + eps) == (lr/bc1 * bc2_sqrt) * m / (sqrt(v) +
        # eps * bc2_sqrt): the same update with one pass fewer over the parameters.
        self._step_size = self.lr / (1 - self.beta1 ** step) * bc2_sqrt
        self._eps_scaled = self.eps * bc2_sqrt

    def _update(self, p, g, tmp, s):
        t = p.dtype.type
        self._decay_and_moments(p, g, tmp, s)
        np.sqrt(s["exp_avg_sq"], out=tmp)
        tmp += t(self._eps_scaled)
        np.divide(s["exp_avg"], tmp, out=tmp)
        tmp *= t(self._step_size)
        p -= tmp


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (torch ``AdamW``, ``weight_decay=1e-2``):
    ``p <- p (1 - lr wd)`` before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(lr, beta1, beta2, eps, weight_decay)


@OPTIMIZERS.register("nadam")
class NAdam(_AdamBase):
    """Nadam, Adam with Nesterov momentum (torch ``NAdam``: ``lr=2e-3``, ``momentum_decay=4e-3``).

    ``mu_t = b1 (1 - 0.5 * 0.96^(t psi))``, ``P_t = prod_{i<=t} mu_i``;
    ``d = sqrt(v_t / (1 - b2^t)) + eps``;
    ``p <- p - lr (1 - mu_t) / (1 - P_t) * g / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / d``.
    """

    def __init__(self, lr: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False):
        super().__init__(lr, beta1, beta2, eps, weight_decay)
        self.momentum_decay = checks.number("momentum_decay", momentum_decay, 0)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def config(self):
        return {**super().config(), "momentum_decay": self.momentum_decay,
                "decoupled_weight_decay": self.decoupled_weight_decay}

    def _begin_step(self):
        if self.step_count == 1:
            self.mu_product = 1.0
        step, b1, psi = self.step_count, self.beta1, self.momentum_decay
        self._bias_correction2 = 1 - self.beta2 ** step
        mu = b1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        self.mu_product *= mu
        self._grad_coef = self.lr * (1.0 - mu) / (1.0 - self.mu_product)
        self._avg_coef = self.lr * mu_next / (1.0 - self.mu_product * mu_next)

    def _update(self, p, g, tmp, s):
        t = p.dtype.type
        self._decay_and_moments(p, g, tmp, s)
        denom = np.divide(s["exp_avg_sq"], t(self._bias_correction2))
        np.sqrt(denom, out=denom)
        denom += t(self.eps)
        np.divide(g, denom, out=tmp)
        tmp *= t(self._grad_coef)
        p -= tmp
        np.divide(s["exp_avg"], denom, out=tmp)
        tmp *= t(self._avg_coef)
        p -= tmp
