"""Docstring coverage of the public code (issue 11 point 7): at least 80 % of public definitions documented.

Public: modules (package ``__init__`` included, ``_private.py`` not), and classes, functions and methods whose
name does not start with "_", at module level or inside a public class. Nested functions are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("contract", "runtime", "edge", "hub", "simulators", "models", "deploy")
FLOOR = 0.80
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _public_definitions(path: Path) -> list[tuple[str, bool]]:
    """(where, has a docstring) for the module itself and each public definition in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(ROOT).as_posix()
    found = []
    if path.name == "__init__.py" or not path.name.startswith("_"):
        found.append((rel, ast.get_docstring(tree) is not None))
    todo: list[ast.AST] = [tree]
    while todo:
        for node in ast.iter_child_nodes(todo.pop()):
            if isinstance(node, _DEFS) and not node.name.startswith("_"):
                found.append((f"{rel}:{node.lineno} {node.name}", ast.get_docstring(node) is not None))
                if isinstance(node, ast.ClassDef):
                    todo.append(node)
    return found


def test_public_definitions_are_documented():
    defs = [d for top in TOPS for path in sorted((ROOT / top).rglob("*.py")) for d in _public_definitions(path)]
    missing = [where for where, documented in defs if not documented]
    share = 1 - len(missing) / len(defs)
    assert share >= FLOOR, (
        f"{share:.1%} of {len(defs)} public definitions documented (floor {FLOOR:.0%}); missing:\n" + "\n".join(missing)
    )
