"""docs/engine.md is the contract outside programs code against: every example must run."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_engine_doc_example_runs_in_order():
    text = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/engine.md block {i + 1}", "exec"), namespace)
        except Exception as exc:  # name the failing block, then fail
            raise AssertionError(f"docs/engine.md example {i + 1} fails: {exc!r}\n{block}") from exc


def test_documented_names_are_the_registries_names():
    from engine import (activations, initializers, layers, losses, metrics, optimizers,
                        schedules)

    text = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    for module in (activations, losses, optimizers, initializers, layers, schedules, metrics):
        for name in module.names():
            assert re.search(rf"\b{name}\b", text), f"{module.__name__} {name} is undocumented"
