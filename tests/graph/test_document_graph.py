"""The document's networkx graph shares the document's own adjacency: whatever edits are
made (before or after the graph is first asked for), networkx sees exactly the design."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from designer.graph.document import GraphDocument


def reference(doc: GraphDocument) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(doc.nodes)
    for e in doc.edges.values():
        g.add_edge(e.src, e.dst, key=e.id)
    return g


def same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> bool:
    return set(a.nodes) == set(b.nodes) and sorted(a.edges(keys=True)) == sorted(b.edges(keys=True))


def random_edits(doc: GraphDocument, rng: random.Random, steps: int) -> None:
    for _ in range(steps):
        op = rng.random()
        if op < 0.35 or len(doc.nodes) < 2:
            doc.add_node("activation")
        elif op < 0.75:
            # Parallel edges, self-loops and cycles are all allowed in the document.
            doc.connect(rng.choice(list(doc.nodes)), rng.choice(list(doc.nodes)))
        elif op < 0.9 and doc.edges:
            doc.disconnect(rng.choice(list(doc.edges)))
        else:
            doc.remove_node(rng.choice(list(doc.nodes)))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("early", [True, False], ids=["graph-first", "graph-later"])
def test_graph_follows_every_edit(seed: int, early: bool):
    rng = random.Random(seed)
    doc = GraphDocument()
    graph = doc.graph if early else None
    random_edits(doc, rng, 120)
    if graph is None:
        graph = doc.graph
    assert graph is doc.graph
    ref = reference(doc)
    assert same(graph, ref)
    # networkx's algorithms and views read the shared dicts correctly.
    for nid in list(doc.nodes)[:5]:
        assert nx.ancestors(graph, nid) == nx.ancestors(ref, nid)
        assert nx.descendants(graph, nid) == nx.descendants(ref, nid)
        assert sorted(graph.in_edges(nid, keys=True)) == sorted(ref.in_edges(nid, keys=True))
    assert nx.is_directed_acyclic_graph(graph) == nx.is_directed_acyclic_graph(ref)
    assert {frozenset(c) for c in nx.strongly_connected_components(graph)} == {
        frozenset(c) for c in nx.strongly_connected_components(ref)
    }
    # The document's own queries agree with networkx.
    for nid in doc.nodes:
        assert sorted(e.id for e in doc.out_edges(nid)) == sorted(k for *_, k in ref.out_edges(nid, keys=True))
    doc.clear()
    assert graph.number_of_nodes() == 0 and graph.number_of_edges() == 0


def test_importing_the_document_does_not_import_networkx():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from designer.examples import DEFAULT_EXAMPLE, example_path\n"
        "from designer.io.project import load\n"
        "from designer.graph.validate import validate\n"
        "from designer.graph.cost import compute_costs\n"
        "doc = load(example_path(DEFAULT_EXAMPLE))\n"
        "rep = validate(doc); compute_costs(doc, rep)\n"
        "assert rep.ok, rep.diagnostics\n"
        "print('networkx' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "False"
