"""No import circle in kgen/ or zsar/, and zsar's layers import only downwards (issue 19).

The graph is read from the source (``ast``), not by importing: an edge ``a -> b`` is any
``import`` of project module ``b`` in module ``a``, at the top or inside a function (a lazy
import that closes a circle is still a circle; it only moves the failure to the first call).
Imports under ``if TYPE_CHECKING:`` never run and are left out. ``from pkg import name`` counts
as an import of ``pkg.name`` when that is a module, else of ``pkg``. A package's own
``__init__`` importing its modules (to re-export them) is not a circle with them: Python runs
the package first, then the module.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kgen", "zsar")
PAPERS = ("vifi_clip", "ap_clip", "stdd", "sc_clip", "da_sti")


def _module_files() -> dict[str, Path]:
    modules = {"cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """Dotted names imported anywhere in ``tree``, outside ``if TYPE_CHECKING:`` blocks."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.extend(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


@cache
def import_graph() -> nx.DiGraph:
    modules = _module_files()
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imported_names(tree, module, path.name == "__init__.py"):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            is_own_child = name.startswith(module + ".") and path.name == "__init__.py"
            if name and name != module and not is_own_child:
                graph.add_edge(module, name)
    return graph


def _edges(source_prefix: str, target_prefix: str) -> list[tuple[str, str]]:
    def under(module: str, prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    return sorted((a, b) for a, b in import_graph().edges if under(a, source_prefix) and under(b, target_prefix))


def test_the_graph_sees_the_imports_it_must() -> None:
    """The reader finds top-level, lazy, relative and ``from pkg import module`` imports."""
    graph = import_graph()
    assert graph.has_edge("zsar.engine.train", "zsar.engine.distributed")  # from zsar.engine import distributed
    assert graph.has_edge("kgen.commands.video", "zsar.engine.train")  # inside a function
    assert graph.has_edge("zsar.engine.rebuild", "zsar.models.registry")
    assert not graph.has_edge("kgen.crawl.senses", "kgen.crawl.discourse")  # under TYPE_CHECKING only
    assert len(graph) > 150


def test_no_import_circle_in_kgen_or_zsar() -> None:
    graph = import_graph()
    circles = [group for group in nx.strongly_connected_components(graph) if len(group) > 1]
    shown = [" -> ".join(edge[0] for edge in nx.find_cycle(graph.subgraph(group))) for group in circles]
    assert not circles, "import circles (each shown by one of its loops):\n" + "\n".join(shown)


def test_zsar_layers_import_only_downwards() -> None:
    # data/ is the bottom layer: it knows no model and no engine.
    assert _edges("zsar.data", "zsar.models") == []
    assert _edges("zsar.data", "zsar.engine") == []
    # models/ reads checkpoint files (model.init_checkpoint) and nothing else of the engine;
    # the checkpoint file format knows no model and no config.
    assert {target for _, target in _edges("zsar.models", "zsar.engine")} <= {"zsar.engine.checkpoint"}
    assert _edges("zsar.engine.checkpoint", "zsar.models") == []
    assert _edges("zsar.engine.checkpoint", "zsar.engine.config") == []


def test_only_the_registry_knows_the_papers() -> None:
    for paper in PAPERS:
        folder = f"zsar.models.{paper}"
        importers = {source for source, target in import_graph().edges
                     if target.startswith(folder) and not source.startswith(folder)}
        assert importers == set(), f"{folder} is imported by {sorted(importers)} (only the registry may, by name)"
        for other in PAPERS:
            if other != paper:
                assert _edges(folder, f"zsar.models.{other}") == [], f"{paper} imports {other}"
    from zsar.models.registry import BUILTIN_MODEL_MODULES

    assert sorted(BUILTIN_MODEL_MODULES) == sorted(f"zsar.models.{paper}.model" for paper in PAPERS)


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    """Each module is imported first, in a process that has imported no project module.

    One interpreter imports the heavy third-party packages once (torch, open_clip, ...), then
    forks a child per module; each child starts with no module of kgen, zsar or cli loaded
    and imports just its one module. A circle that only some import orders trip over fails here.
    """
    script = (
        "import importlib, os, sys\n"
        "import numpy, torch, torchvision, open_clip, pydantic, typer, rich, yaml, av, httpx\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('kgen', 'zsar', 'cli')]\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except BaseException as exc:\n"
        "            print(f'{name}: {type(exc).__name__}: {exc}', file=sys.stderr, flush=True)\n"
        "            os._exit(1)\n"
        "        os._exit(0)\n"
        "    if os.waitpid(pid, 0)[1]:\n"
        "        failed.append(name)\n"
        "print(len(sys.argv) - 1, 'modules,', len(failed), 'failed:', ' '.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    modules = sorted(_module_files())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script, *modules], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(modules)} modules, 0 failed" in result.stdout
