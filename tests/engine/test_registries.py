"""Every registry and every name in it: creation with defaults, config round trips through
JSON, aliases, unknown names and parameters, double registration; then the layers' configs and
the errors of invalid ones.

DESIGN.md, convention 2: "adding an entry makes it appear everywhere and get tested
everywhere (tests are parametrized over names())" -- so every test below walks ``names()``.
"""

from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest

from engine import (activations, initializers, layers, losses, metrics, optimizers,
                    schedules)
from engine import spec as S
from engine.data import synthetic
from engine.registry import ConfigError, Registry, UnknownNameError

# label -> (registry, module whose names()/get() front it)
REGISTRIES = {
    "activations": (activations.ACTIVATIONS, activations),
    "losses": (losses.LOSSES, losses),
    "optimizers": (optimizers.OPTIMIZERS, optimizers),
    "initializers": (initializers.INITIALIZERS, initializers),
    "layers": (layers.LAYERS, layers),
    "schedules": (schedules.SCHEDULES, schedules),
    "metrics": (metrics.METRICS, metrics),
    "datasets": (synthetic.DATASETS, synthetic),
}


def _reg(kind: str) -> Registry:
    return REGISTRIES[kind][0]


ENTRIES = [(kind, name) for kind, (reg, _) in REGISTRIES.items() for name in reg.names()]
ENTRY_IDS = [f"{kind}-{name}" for kind, name in ENTRIES]

# The registry keeps aliases privately; there is no public accessor, so read the table.
ALIASES = [(kind, alias, target) for kind, (reg, _) in REGISTRIES.items()
           for alias, target in reg._aliases.items()]
ALIAS_IDS = [f"{kind}-{alias}" for kind, alias, _ in ALIASES]

BOGUS = "no_such_parameter"


def entries(fn):
    return pytest.mark.parametrize("kind, name", ENTRIES, ids=ENTRY_IDS)(fn)


def aliases(fn):
    return pytest.mark.parametrize("kind, alias, target", ALIASES, ids=ALIAS_IDS)(fn)


def has_own_eq(obj) -> bool:
    return type(obj).__eq__ is not object.__eq__


def json_round_trip(cfg: dict) -> dict:
    text = json.dumps(cfg, allow_nan=False)  # strict JSON: no NaN / Infinity either
    return json.loads(text)


# --------------------------------------------------------------------------- the registries


def test_every_registry_has_entries_and_the_module_fronts_it():
    for kind, (reg, module) in REGISTRIES.items():
        assert isinstance(reg, Registry), kind
        assert reg.names(), f"{kind}: empty registry"
        assert module.names() == reg.names(), kind
        assert len(set(reg.names())) == len(reg.names()), kind


@entries
def test_get_with_defaults(kind, name):
    reg, module = REGISTRIES[kind]
    obj = reg.get(name)
    assert type(obj) is reg.cls(name)
    assert obj.name == name
    fronted = module.get(name) if hasattr(module, "get") else reg.get(name)
    assert type(fronted) is type(obj)
    assert reg.to_config(fronted) == reg.to_config(obj)


@entries
def test_config_holds_exactly_the_constructor_parameters_and_defaults(kind, name):
    reg = _reg(kind)
    cfg = reg.to_config(reg.get(name))
    assert cfg["name"] == name
    params = reg.parameters(name)
    body = {k: v for k, v in cfg.items() if k != "name"}
    assert set(body) == set(params), (
        f"{kind} {name!r}: config keys {sorted(body)} != constructor parameters {sorted(params)}")
    for key, default in params.items():
        assert default is not inspect.Parameter.empty, (
            f"{kind} {name!r}: parameter {key!r} has no default, so get({name!r}) cannot work")
        assert body[key] == default, f"{kind} {name!r}: {key} = {body[key]!r}, default {default!r}"


@entries
def test_config_round_trip_through_json(kind, name):
    reg = _reg(kind)
    obj = reg.get(name)
    cfg = reg.to_config(obj)
    loaded = json_round_trip(cfg)
    assert loaded == cfg, f"{kind} {name!r}: config changes through JSON: {cfg!r} -> {loaded!r}"
    rebuilt = reg.get(loaded)
    assert type(rebuilt) is type(obj)
    assert reg.to_config(rebuilt) == cfg
    if has_own_eq(obj):
        assert rebuilt == obj
    # and the rebuilt object's config survives JSON again, unchanged
    assert json_round_trip(reg.to_config(rebuilt)) == cfg


@entries
def test_get_with_every_default_spelled_out(kind, name):
    reg = _reg(kind)
    explicit = {"name": name, **reg.parameters(name)}
    assert reg.to_config(reg.get(explicit)) == reg.to_config(reg.get(name))


@entries
def test_get_passes_an_instance_through(kind, name):
    reg = _reg(kind)
    obj = reg.get(name)
    assert reg.get(obj) is obj


NON_DEFAULT = [
    ("activations", {"name": "leaky_relu", "negative_slope": 0.2}),
    ("activations", {"name": "softplus", "beta": 2.0, "threshold": 10.0}),
    ("losses", {"name": "huber", "delta": 0.5}),
    ("optimizers", {"name": "adam", "lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-7,
                    "weight_decay": 0.001}),
    ("optimizers", {"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.0,
                    "nesterov": True, "weight_decay": 0.0}),
    ("initializers", {"name": "uniform", "low": -1.0, "high": 2.0}),
    ("initializers", {"name": "normal", "mean": 0.5, "std": 0.1}),
    ("layers", {"name": "dense", "units": "auto",
                "activation": {"name": "leaky_relu", "negative_slope": 0.2},
                "initializer": {"name": "normal", "mean": 0.0, "std": 0.1}, "bias": False,
                "l1": 0.01, "l2": 0.001}),
    ("layers", {"name": "dropout", "rate": 0.25}),
    ("layers", {"name": "batch_norm", "momentum": 0.2, "eps": 1e-3}),
    ("layers", {"name": "input", "units": 5}),
    ("schedules", {"name": "step", "step_size": 3, "gamma": 0.5}),
    ("schedules", {"name": "reduce_on_plateau", "factor": 0.5, "patience": 2,
                   "threshold": 0.01, "cooldown": 1, "min_lr": 1e-6}),
    ("metrics", {"name": "f1", "average": "weighted"}),
    ("datasets", {"name": "spirals", "n_samples": 40, "noise": 0.1, "seed": 3,
                  "n_classes": 4}),
]


@pytest.mark.parametrize("kind, cfg", NON_DEFAULT,
                         ids=[f"{k}-{c['name']}-{i}" for i, (k, c) in enumerate(NON_DEFAULT)])
def test_non_default_config_round_trip(kind, cfg):
    reg = _reg(kind)
    obj = reg.get(cfg)
    out = reg.to_config(obj)
    assert out == cfg
    assert json_round_trip(out) == cfg
    rebuilt = reg.get(json_round_trip(out))
    assert reg.to_config(rebuilt) == cfg
    if has_own_eq(obj):
        assert rebuilt == obj
    # overrides win over the config
    key = next(k for k in cfg if k != "name")
    assert reg.to_config(reg.get(cfg, **{key: cfg[key]})) == cfg


def test_overrides_replace_config_values():
    assert optimizers.get({"name": "adam", "lr": 0.1}, lr=0.5).lr == 0.5
    opt = optimizers.get("adam")
    other = optimizers.get(opt, lr=0.25)
    assert other is not opt and other.lr == 0.25 and opt.lr == 1e-3


# --------------------------------------------------------------------------- aliases


def test_there_are_aliases_to_test():
    assert ALIASES


@aliases
def test_alias_resolves_to_its_canonical_name_in_any_case(kind, alias, target):
    reg = _reg(kind)
    assert target in reg.names()
    assert alias not in reg.names(), f"{kind}: alias {alias!r} shadows nothing, it is a name"
    for spelled in (alias, alias.upper(), alias.title(), f"  {alias.upper()} "):
        assert reg.canonical(spelled) == target, spelled
        assert spelled in reg
        obj = reg.get(spelled)
        assert type(obj) is reg.cls(target)
        assert obj.name == target
        assert reg.to_config(obj)["name"] == target  # configs carry the canonical name
        assert reg.get({"name": spelled}).name == target


@entries
def test_canonical_names_in_any_case(kind, name):
    reg = _reg(kind)
    for spelled in (name, name.upper(), name.capitalize(), f" {name} "):
        assert reg.canonical(spelled) == name
        assert reg.get(spelled).name == name
        assert reg.cls(spelled) is reg.cls(name)


# --------------------------------------------------------------------------- unknown names


def _check_unknown(reg: Registry, exc: UnknownNameError, bad) -> None:
    message = str(exc)
    assert isinstance(exc, ValueError)
    assert exc.valid == reg.names()
    for valid in reg.names():
        assert re.search(rf"(?<![\w-]){re.escape(valid)}(?![\w-])", message), (
            f"{reg.kind}: valid name {valid!r} missing from {message!r}")
    assert repr(bad) in message or str(bad) in message


@pytest.mark.parametrize("kind", list(REGISTRIES))
@pytest.mark.parametrize("bad", ["no_such_entry", "", "relu6x"])
def test_unknown_name_lists_every_valid_name(kind, bad):
    reg = _reg(kind)
    assert bad not in reg
    with pytest.raises(UnknownNameError) as info:
        reg.get(bad)
    _check_unknown(reg, info.value, bad)
    with pytest.raises(UnknownNameError) as info:
        reg.get({"name": bad})
    _check_unknown(reg, info.value, bad)
    with pytest.raises(UnknownNameError):
        reg.cls(bad)
    with pytest.raises(UnknownNameError):
        reg.parameters(bad)


@pytest.mark.parametrize("kind", list(REGISTRIES))
@pytest.mark.parametrize("bad", [42, None, 1.5, ["relu"]], ids=["int", "none", "float", "list"])
def test_non_string_name_is_an_unknown_name(kind, bad):
    reg = _reg(kind)
    assert bad not in reg
    with pytest.raises(UnknownNameError) as info:
        reg.get(bad)
    _check_unknown(reg, info.value, bad)
    with pytest.raises(UnknownNameError):
        reg.get({"name": bad})


@pytest.mark.parametrize("kind", list(REGISTRIES))
def test_config_without_name_is_a_config_error(kind):
    reg = _reg(kind)
    with pytest.raises(ConfigError, match="name"):
        reg.get({"lr": 0.1})


# --------------------------------------------------------------------------- unknown parameters


@entries
def test_unknown_parameter_names_it_and_the_valid_ones(kind, name):
    reg = _reg(kind)
    valid = list(reg.parameters(name))
    attempts = [lambda: reg.get({"name": name, BOGUS: 1}),
                lambda: reg.get(name, **{BOGUS: 1})]
    for attempt in attempts:
        with pytest.raises(ConfigError) as info:
            attempt()
        message = str(info.value)
        assert isinstance(info.value, ValueError)
        assert BOGUS in message
        assert name in message
        for param in valid:
            assert re.search(rf"\b{re.escape(param)}\b", message), (
                f"{kind} {name!r}: valid parameter {param!r} missing from {message!r}")
        if not valid:
            assert "none" in message.lower()


@entries
def test_unknown_parameter_next_to_valid_ones_is_still_refused(kind, name):
    reg = _reg(kind)
    cfg = {**reg.to_config(reg.get(name)), BOGUS: 0}
    with pytest.raises(ConfigError, match=BOGUS):
        reg.get(cfg)


# --------------------------------------------------------------------------- registering twice


class _Dummy:
    def __init__(self):
        pass

    def config(self):
        return {}


@pytest.fixture
def isolated(monkeypatch):
    """Give every registry private copies of its tables for the test, so that a registration
    the registry wrongly accepts cannot leak into other tests."""
    for reg, _ in REGISTRIES.values():
        monkeypatch.setattr(reg, "_entries", dict(reg._entries))
        monkeypatch.setattr(reg, "_aliases", dict(reg._aliases))
    return REGISTRIES


def _refuses(reg: Registry, name: str, aliases=()) -> ValueError:
    before_names, before_aliases = reg.names(), dict(reg._aliases)
    dummy = type("Dummy", (_Dummy,), {})
    with pytest.raises(ValueError) as info:
        reg.register(name, aliases=aliases)(dummy)
    assert reg.names() == before_names, "a refused registration must change nothing"
    assert reg._aliases == before_aliases, "a refused registration must change nothing"
    return info.value


@entries
def test_registering_a_name_twice_raises(isolated, kind, name):
    reg = _reg(kind)
    original = reg.cls(name)
    err = _refuses(reg, name)
    assert name in str(err)
    assert reg.cls(name) is original


@entries
def test_registering_a_name_twice_in_another_case_raises(isolated, kind, name):
    """Look-ups ignore case, so "RELU" is the same name as "relu"."""
    _refuses(_reg(kind), name.upper())


@aliases
def test_registering_an_alias_as_a_name_raises(isolated, kind, alias, target):
    _refuses(_reg(kind), alias)


@entries
def test_registering_an_existing_name_as_an_alias_raises(isolated, kind, name):
    _refuses(_reg(kind), "fresh_entry_for_test", aliases=(name,))
    assert "fresh_entry_for_test" not in _reg(kind)


@aliases
def test_registering_an_existing_alias_again_raises(isolated, kind, alias, target):
    reg = _reg(kind)
    _refuses(reg, "fresh_entry_for_test", aliases=(alias,))
    assert reg.canonical(alias) == target


@pytest.mark.parametrize("kind", list(REGISTRIES))
def test_registering_a_fresh_name_works(isolated, kind):
    reg = _reg(kind)
    dummy = type("Dummy", (_Dummy,), {})
    reg.register("fresh_entry_for_test", aliases=("fresh_alias_for_test",))(dummy)
    assert reg.names()[-1] == "fresh_entry_for_test"
    assert reg.cls("FRESH_ALIAS_FOR_TEST") is dummy
    assert reg.to_config(reg.get("fresh_entry_for_test")) == {"name": "fresh_entry_for_test"}


def test_isolation_left_the_registries_alone():
    for kind, (reg, _) in REGISTRIES.items():
        assert "fresh_entry_for_test" not in reg, kind


# --------------------------------------------------------------------------- layers


@pytest.mark.parametrize("name", layers.names())
def test_layer_config_round_trip_via_layers_get(name):
    layer = layers.get(name)
    cfg = layers.LAYERS.to_config(layer)
    assert cfg["name"] == name
    loaded = json_round_trip(cfg)
    again = layers.get(loaded)
    assert type(again) is type(layer)
    assert layers.LAYERS.to_config(again) == cfg
    assert again.config() == layer.config()


DENSE_ACTIVATIONS = (
    [(a, a) for a in activations.names()]
    + [(a.upper(), activations.ACTIVATIONS.canonical(a)) for a, _ in
       activations.ACTIVATIONS._aliases.items()]
)


@pytest.mark.parametrize("given, canonical", DENSE_ACTIVATIONS,
                         ids=[str(g) for g, _ in DENSE_ACTIVATIONS])
def test_dense_config_names_its_activation_canonically(given, canonical):
    cfg = layers.LAYERS.to_config(layers.get("dense", activation=given))
    saved = cfg["activation"]  # a name, or a config dict for parametrized activations
    assert (saved["name"] if isinstance(saved, dict) else saved) == canonical
    assert layers.LAYERS.to_config(layers.get(json_round_trip(cfg))) == cfg


@pytest.mark.parametrize("form", ["name", "dict", "instance"])
@pytest.mark.parametrize("activation", activations.names())
def test_dense_config_is_json_whatever_form_its_activation_took(activation, form):
    given = {"name": activation, "dict": {"name": activation},
             "instance": activations.get(activation)}[form]
    cfg = layers.LAYERS.to_config(layers.get({"name": "dense", "activation": given}))
    loaded = json_round_trip(cfg)
    assert loaded == cfg
    rebuilt = layers.get(loaded)
    assert rebuilt.activation == activations.get(activation)


@pytest.mark.parametrize("form", ["name", "dict", "instance"])
@pytest.mark.parametrize("initializer", initializers.names())
def test_dense_config_is_json_whatever_form_its_initializer_took(initializer, form):
    given = {"name": initializer, "dict": {"name": initializer},
             "instance": initializers.get(initializer)}[form]
    layer = layers.get({"name": "dense", "initializer": given})
    cfg = layers.LAYERS.to_config(layer)
    loaded = json_round_trip(cfg)  # a project file must be able to hold it
    assert loaded == cfg
    rebuilt = layers.get(loaded)
    assert rebuilt.initializer == initializers.get(initializer)
    assert layers.LAYERS.to_config(rebuilt) == cfg


def _initializer_spellings():
    out = []
    for name in initializers.names():
        out.append((name.upper(), name))
        out += [(a, t) for a, t in initializers.INITIALIZERS._aliases.items() if t == name]
    return out


@pytest.mark.parametrize("given, canonical", _initializer_spellings(),
                         ids=[g for g, _ in _initializer_spellings()])
def test_dense_config_names_its_initializer_canonically(given, canonical):
    """Like the activation, the saved initializer is a registered name (what the combo boxes
    list), however it was spelled."""
    cfg = layers.LAYERS.to_config(layers.get({"name": "dense", "initializer": given}))
    saved = cfg["initializer"]
    assert (saved["name"] if isinstance(saved, dict) else saved) == canonical, saved
    assert layers.get(json_round_trip(cfg)).initializer == initializers.get(canonical)


def test_dense_initializer_none_means_the_activation_default():
    for activation in activations.names():
        layer = layers.get("dense", activation=activation)
        assert layer.config()["initializer"] is None
        assert layer.initializer == initializers.get(initializers.default_for(activation))


def _names_the_value(message: str, value) -> bool:
    """Errors in the engine say what they were given as "..., got <value>"."""
    texts = {repr(value), str(value)}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        texts.add(repr(float(value)))
    return any(re.search(rf"\bgot {re.escape(t)}(?![\w.])", message) for t in texts)


INVALID_LAYERS = [
    ("dense", "units", 0),
    ("dense", "units", -3),
    ("dense", "units", 2.5),
    ("dense", "units", True),
    ("dense", "units", "eight"),
    ("dense", "units", None),
    ("dense", "l1", -0.5),
    ("dense", "l2", float("nan")),
    ("input", "units", 0),
    ("dropout", "rate", 1.0),
    ("dropout", "rate", -0.1),
    ("dropout", "rate", 1.5),
    ("batch_norm", "momentum", 2),
    ("batch_norm", "momentum", -0.1),
    ("batch_norm", "eps", 0),
    ("batch_norm", "eps", -1e-5),
]


@pytest.mark.parametrize("layer, param, value", INVALID_LAYERS,
                         ids=[f"{l}-{p}={v!r}" for l, p, v in INVALID_LAYERS])
def test_invalid_layer_config_names_parameter_and_value(layer, param, value):
    with pytest.raises(layers.LayerConfigError) as info:
        layers.get({"name": layer, param: value})
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert param in message, f"message does not name {param!r}: {message!r}"
    assert _names_the_value(message, value), f"message does not name {value!r}: {message!r}"


@pytest.mark.parametrize("layer, param, value", INVALID_LAYERS,
                         ids=[f"{l}-{p}={v!r}" for l, p, v in INVALID_LAYERS])
def test_invalid_layer_config_in_a_spec_is_an_invalid_config_error(layer, param, value):
    nodes = [{"id": "in", "type": "input", "config": {}},
             {"id": "bad", "type": layer, "config": {param: value}},
             {"id": "out", "type": "dense", "config": {"units": 1}}]
    if layer == "input":
        nodes = [{"id": "bad", "type": "input", "config": {param: value}}, nodes[2]]
        edges = [["bad", "out"]]
    else:
        edges = [["in", "bad"], ["bad", "out"]]
    problems = [p for p in S.check({"nodes": nodes, "edges": edges}, n_features=2)
                if isinstance(p, S.InvalidConfigError)]
    assert len(problems) == 1, problems
    assert problems[0].nodes == ("bad",)
    assert _names_the_value(problems[0].message, value), problems[0].message


@pytest.mark.parametrize("units", [1, 8, np.int64(3), "auto"], ids=str)
def test_valid_dense_units(units):
    cfg = layers.LAYERS.to_config(layers.get("dense", units=units))
    assert cfg["units"] == units
    assert type(cfg["units"]) in (int, str)  # np.int64 would not survive json.dumps
    json_round_trip(cfg)


@pytest.mark.parametrize("rate", [0.0, 0.5, 0.999])
def test_valid_dropout_rates(rate):
    assert layers.get("dropout", rate=rate).rate == rate


@pytest.mark.parametrize("kind", ["dense", "activation"])
@pytest.mark.parametrize("bad", ["relux", "RELU6", "soft max"])
def test_unknown_activation_in_a_layer_raises_unknown_name_error(kind, bad):
    with pytest.raises(UnknownNameError) as info:
        layers.get({"name": kind, "activation": bad})
    _check_unknown(activations.ACTIVATIONS, info.value, bad)
    assert info.value.kind == "activation"


def test_unknown_initializer_in_dense_raises_unknown_name_error():
    with pytest.raises(UnknownNameError) as info:
        layers.get({"name": "dense", "initializer": "glorot"})
    _check_unknown(initializers.INITIALIZERS, info.value, "glorot")


@pytest.mark.parametrize("param, bad", [("activation", "relux"), ("initializer", "glorot")])
def test_unknown_activation_or_initializer_in_a_spec_is_an_invalid_config(param, bad):
    """The layer type "dense" is known: a bad name inside its config is an invalid config
    (UnknownLayerError is documented as "a node's type is not a registered layer")."""
    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "h", "type": "dense", "config": {param: bad}},
                      {"id": "out", "type": "dense", "config": {"units": 1}}],
            "edges": [["in", "h"], ["h", "out"]]}
    problems = S.check(spec, n_features=2)
    assert not [p for p in problems if isinstance(p, S.UnknownLayerError)], problems
    found = [p for p in problems if isinstance(p, S.InvalidConfigError)]
    assert len(found) == 1, problems
    assert found[0].nodes == ("h",)
    assert bad in found[0].message


@pytest.mark.parametrize("name", layers.names())
def test_layer_unknown_parameter(name):
    with pytest.raises(ConfigError) as info:
        layers.get({"name": name, "unitz": 3})
    assert "unitz" in str(info.value)
    for param in layers.LAYERS.parameters(name):
        assert param in str(info.value)
