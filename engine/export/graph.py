"""The network as exporters see it: nodes in execution order with their inputs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphNode:
    """One layer of a built network.

    Attributes
    ----------
    id : str
        The node id (weights are named ``"<id>.<parameter>"``).
    layer : engine.layers.Layer
        The layer instance (its ``name`` is the registry name, its attributes the config).
    inputs : tuple of str
        The ids of the nodes feeding it, in the order of its incoming edges.
    units : int
        Its output units.
    """

    id: str
    layer: object
    inputs: tuple
    units: int


def walk(net) -> list[GraphNode]:
    """The nodes of ``net`` (an ``engine.network.Network``) in execution order."""
    incoming: dict[str, list[str]] = {}
    for source, target in net.spec["edges"]:
        incoming.setdefault(target, []).append(source)
    return [GraphNode(nid, net.layers[nid], tuple(incoming.get(nid, ())), net.units[nid])
            for nid in net.order]
