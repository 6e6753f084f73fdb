"""One registry class for every kind of named engine part.

Each kind (activations, losses, optimizers, initializers, layers, metrics, schedules) owns one
:class:`Registry`.  The palette, combo boxes, project file and command line all read names and
configs from it, so registering a class is all it takes for a new entry to appear everywhere.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable


class UnknownNameError(ValueError):
    """A name that no entry of a registry answers to; the message lists the valid names."""

    def __init__(self, kind: str, name: object, valid: Iterable[str]):
        self.kind = kind
        self.name = name
        self.valid = list(valid)
        super().__init__(
            f"unknown {kind} {name!r}; the valid names are: {', '.join(self.valid)}"
        )


class ConfigError(ValueError):
    """A config that names a valid entry but carries a parameter it does not take."""


class Configurable:
    """Base of the registered classes whose parameters are all there is to them.

    Two entries of the same class with the same config are equal and hash alike, whatever
    instance they are; ``repr`` shows the config (``LeakyReLU(negative_slope=0.01)``).

    Attributes
    ----------
    name : str
        Registry name (set by :meth:`Registry.register`).
    """

    name = "?"

    def config(self) -> dict:
        """The parameters that rebuild this entry, JSON-able, without ``"name"``."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.config() == other.config()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.name, _hashable(self.config())))


def _hashable(value: Any) -> Any:
    """``value`` with its dicts and lists turned into (sorted) tuples, so it can be hashed."""
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


class Registry:
    """Named classes of one kind, created from a name or a config dict.

    Parameters
    ----------
    kind : str
        Human name of the kind, used in error messages ("activation", "loss", ...).

    Notes
    -----
    A *config* is a plain JSON-able dict ``{"name": <registry name>, **parameters}``.  Every
    registered class must accept its parameters as keyword arguments and return them from a
    ``config()`` method (without ``"name"``), so that ``get(to_config(obj))`` rebuilds an equal
    object.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, type] = {}
        self._aliases: dict[str, str] = {}
        # inspect.signature costs ~0.1 ms: a 200-layer spec check would spend 40 ms here
        self._parameters: dict[type, dict[str, Any]] = {}

    def register(self, name: str, aliases: Iterable[str] = ()) -> Callable[[type], type]:
        """Class decorator that registers a class under ``name`` (and ``aliases``).

        Parameters
        ----------
        name : str
            The canonical name: lower case, what configs and project files carry.
        aliases : iterable of str
            Other spellings that look-ups accept (``"logistic"`` for ``"sigmoid"``).

        Returns
        -------
        callable
            The decorator; it sets ``cls.name = name`` and returns ``cls`` unchanged.

        Raises
        ------
        ValueError
            (when decorating) A key that is not lower case, or one already taken.
        """

        keys = [name, *aliases]

        def decorate(cls: type) -> type:
            # Look-ups lower-case what they are given, so a key with capitals could never be
            # found, and "RELU" would silently shadow nothing; every key must be free, too.
            for key in keys:
                if not isinstance(key, str) or not key or key != key.strip().lower():
                    raise ValueError(
                        f"{self.kind} name {key!r} must be a lower-case string without "
                        f"surrounding spaces")
            taken = [k for k in keys if k in self._entries or k in self._aliases]
            taken += [k for i, k in enumerate(keys) if k in keys[:i]]
            if taken:
                raise ValueError(
                    f"{self.kind} {', '.join(map(repr, taken))} is registered twice")
            self._entries[name] = cls
            for alias in aliases:
                self._aliases[alias] = name
            cls.name = name
            return cls

        return decorate

    def names(self) -> list[str]:
        """Registered names, in registration order (aliases excluded)."""
        return list(self._entries)

    def canonical(self, name: str) -> str:
        """The registered name that ``name`` (a name or an alias, any case) stands for;
        raises :class:`UnknownNameError` for any other."""
        if not isinstance(name, str):
            raise UnknownNameError(self.kind, name, self.names())
        key = name.strip().lower()
        if key in self._entries:
            return key
        if key in self._aliases:
            return self._aliases[key]
        raise UnknownNameError(self.kind, name, self.names())

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is a registered name or alias (any case)."""
        try:
            self.canonical(name)  # type: ignore[arg-type]
        except UnknownNameError:
            return False
        return True

    def cls(self, name: str) -> type:
        """The class registered under ``name`` (or an alias); raises
        :class:`UnknownNameError` for any other."""
        return self._entries[self.canonical(name)]

    def get(self, spec: Any, **overrides: Any) -> Any:
        """Create an entry from a name, a config dict, or pass an instance through.

        Parameters
        ----------
        spec : str or dict or instance
            ``"adam"``, ``{"name": "adam", "lr": 0.01}``, or an already built object of a
            registered class (returned unchanged when no overrides are given).
        **overrides
            Parameters that replace those in ``spec``.

        Returns
        -------
        object
            A new instance of the registered class (or ``spec`` itself, see above).

        Raises
        ------
        UnknownNameError
            The name is not registered, or ``spec`` is of no registered class.
        ConfigError
            A config without ``"name"``, or a parameter the class does not take.
        ValueError
            A parameter value the class refuses (its own error class, a ``ValueError``).
        """
        if isinstance(spec, str):
            name, params = spec, {}
        elif isinstance(spec, dict):
            if "name" not in spec:
                raise ConfigError(f"a {self.kind} config needs a 'name' key, got {spec!r}")
            params = {k: v for k, v in spec.items() if k != "name"}
            name = spec["name"]
        elif any(isinstance(spec, c) for c in self._entries.values()):
            if not overrides:
                return spec
            name, params = spec.name, spec.config()
        else:
            raise UnknownNameError(self.kind, spec, self.names())
        cls = self.cls(name)
        params.update(overrides)
        self._check_params(cls, params)
        return cls(**params)

    def to_config(self, obj: Any) -> dict:
        """The JSON-able config ``{"name": ..., **parameters}`` that rebuilds ``obj``."""
        return {"name": obj.name, **obj.config()}

    def parameters(self, name: str) -> dict[str, Any]:
        """Parameter names of an entry with their defaults (``inspect.Parameter.empty`` if none)."""
        cls = self.cls(name)
        if cls not in self._parameters:
            sig = inspect.signature(cls.__init__)
            self._parameters[cls] = {
                p.name: p.default
                for p in list(sig.parameters.values())[1:]
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            }
        return dict(self._parameters[cls])

    def _check_params(self, cls: type, params: dict) -> None:
        """Refuse, by name, parameters the class's constructor does not take."""
        allowed = self.parameters(cls.name)
        unknown = [k for k in params if k not in allowed]
        if unknown:
            raise ConfigError(
                f"{self.kind} {cls.name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters are: {', '.join(allowed) or '(none)'}"
            )
