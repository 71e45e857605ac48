"""The handlers never import the builder: `bot.application` imports them, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.handlers

HANDLERS = Path(bot.handlers.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_handler_module_imports_the_application_or_sqlalchemy() -> None:
    modules = sorted(HANDLERS.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        imports = imported_modules(module)
        assert not any(name.startswith("bot.application") for name in imports), module.name
        assert not any(name.startswith("sqlalchemy") for name in imports), module.name
