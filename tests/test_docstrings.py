"""Docstring coverage of the public code (issue 11 point 7): at least 80 % of public definitions documented.

The measure is the issue's: public classes, functions and methods, that is, those whose name does not start with
"_", at module level or inside a public class (nested functions are not counted), in every file of the top-level
packages. Module docstrings are reported beside it but are not part of the ratio.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("contract", "runtime", "edge", "hub", "simulators", "models", "deploy")
FLOOR = 0.80
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _public_definitions(tree: ast.Module, rel: str) -> list[tuple[str, bool]]:
    """(where, has a docstring) for each public class, function and method in one module."""
    found = []
    todo: list[ast.AST] = [tree]
    while todo:
        for node in ast.iter_child_nodes(todo.pop()):
            if isinstance(node, _DEFS) and not node.name.startswith("_"):
                found.append((f"{rel}:{node.lineno} {node.name}", ast.get_docstring(node) is not None))
                if isinstance(node, ast.ClassDef):
                    todo.append(node)
    return found


def _survey() -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """(definitions, public modules), each as (where, has a docstring), over every top-level package."""
    defs, modules = [], []
    for path in sorted(p for top in TOPS for p in (ROOT / top).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" or not path.name.startswith("_"):
            modules.append((rel, ast.get_docstring(tree) is not None))
        defs.extend(_public_definitions(tree, rel))
    return defs, modules


def test_public_definitions_are_documented():
    defs, modules = _survey()
    missing = [where for where, documented in defs if not documented]
    share = 1 - len(missing) / len(defs)
    module_share = sum(documented for _, documented in modules) / len(modules)
    assert share >= FLOOR, (
        f"{share:.1%} of {len(defs)} public classes, functions and methods documented (floor {FLOOR:.0%}; "
        f"modules, not counted: {module_share:.1%} of {len(modules)}); missing:\n" + "\n".join(missing)
    )
