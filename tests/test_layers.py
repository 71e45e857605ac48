"""The layers stay apart: the judge loads no framework, the crawl child never loads Telegram, storage never
reaches up into the bot, and no module imports another that imports it back.

Imports are checked in a fresh interpreter (`sys.modules` after importing), so an import done through
another module counts too; cycles are read from the source of every module of `crawler` and `bot`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import crawler.storage
from crawler.config import PROJECT_ROOT

PACKAGES = ("crawler", "bot")
FRAMEWORKS = ("scrapy", "twisted", "telegram", "sqlalchemy", "alembic")


def loaded_after(code: str) -> set[str]:
    """Every module a fresh interpreter has loaded after running `code`."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def import_package(package: str, skip: str = "") -> str:
    """Code that imports `package` and every module under it."""
    return (
        "import importlib, pkgutil\n"
        f"import {package} as package\n"
        f"for info in pkgutil.walk_packages(package.__path__, '{package}.'):\n"
        f"    if not ({skip!r} and {skip!r} in info.name):\n"
        "        importlib.import_module(info.name)\n"
    )


def top_names(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def written_imports(package: str) -> dict[str, set[str]]:
    """Per module file under `package`, every module its source imports (inside functions too)."""
    out: dict[str, set[str]] = {}
    for path in (PROJECT_ROOT / package.replace(".", "/")).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        out[str(path.relative_to(PROJECT_ROOT))] = names
    return out


def test_the_judge_imports_no_framework_and_nothing_above_it() -> None:
    loaded = loaded_after(import_package("crawler.judge"))
    assert not top_names(loaded) & {*FRAMEWORKS, "bot"}
    assert "crawler.storage" not in loaded
    for path, names in written_imports("crawler.judge").items():
        assert not top_names(names) & {*FRAMEWORKS, "bot"}, path
        assert not any(name.startswith("crawler.storage") for name in names), path


def test_the_crawl_child_never_loads_telegram() -> None:
    # A crawl child is `python -m bot crawl ...` (bot.supervise.ChildCommand): the CLI with every command
    # registered, the crawl runner, and each Scrapy component the crawl settings name.
    code = (
        "import bot.cli, crawler.runner, crawler.settings as s\n"
        "from scrapy.utils.misc import load_object, walk_modules\n"
        "for name in s.SPIDER_MODULES: walk_modules(name)\n"
        "for table in (s.DOWNLOADER_MIDDLEWARES, s.ITEM_PIPELINES, s.EXTENSIONS):\n"
        "    for path in table: load_object(path)\n"
        "for path in (s.REQUEST_FINGERPRINTER_CLASS, s.LOG_FORMATTER, s.TWISTED_DNS_RESOLVER):\n"
        "    load_object(path)\n"
        "import crawler.frontier, crawler.workers, crawler.extract\n"
    )
    loaded = loaded_after(code)
    assert "scrapy" in loaded  # the check itself loaded the crawl
    assert "telegram" not in top_names(loaded)


def test_storage_never_imports_the_bot() -> None:
    loaded = loaded_after(import_package("crawler.storage", skip="migrations"))
    assert "bot" not in top_names(loaded)
    assert "telegram" not in top_names(loaded)
    for path, names in written_imports("crawler.storage").items():
        assert not top_names(names) & {"bot", "telegram"}, path


def module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """The modules of ours that `name` imports anywhere in its source (inside functions too)."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:
                    found.add(full)
                elif base in modules:
                    found.add(base)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    files = module_files()
    graph = {name: imports_of(name, path, set(files)) - {name} for name, path in files.items()}
    assert sum(len(targets) for targets in graph.values()) > 200  # the graph was read
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Classes allowed to hold a stored article's fields: the one model, the table row it is stored in, and the
# crawl's in-flight Scrapy item (turned into the model by `crawler.judge_service.article_of`).
ARTICLE_SHAPES = {
    ("crawler/judge/types.py", "StoredArticle"),
    ("crawler/storage/models.py", "Article"),
    ("crawler/items.py", "ArticleItem"),
}


def class_fields() -> dict[tuple[str, str], set[str]]:
    """Per (file, class) of `crawler` and `bot`, the names it annotates in its body (its fields)."""
    out = {}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    out[(str(path.relative_to(PROJECT_ROOT)), node.name)] = {
                        item.target.id
                        for item in node.body
                        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                    }
    return out


def test_one_model_of_a_stored_article() -> None:
    # A stored article is what has an id (or key) beside its address and title; a second such class would
    # be a parallel copy of `StoredArticle` (as `Doc`, `JudgedRow` and `DigestArticle` once were).
    shapes = {
        where
        for where, fields in class_fields().items()
        if {"url", "title"} <= fields and fields & {"key", "id", "article_id"}
    }
    assert shapes == ARTICLE_SHAPES


def test_storage_gives_the_model_not_its_rows() -> None:
    # Callers read articles as `StoredArticle`; the ORM row `Article` never leaves `crawler/storage`.
    for path in (PROJECT_ROOT / "crawler" / "storage").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.returns:
                names = {n.id for n in ast.walk(node.returns) if isinstance(n, ast.Name)}
                assert "Article" not in names, f"{path.name}: {node.name}"
    for path, names in {**written_imports("bot"), **written_imports("crawler")}.items():
        if not path.startswith("crawler/storage/"):
            assert "crawler.storage.models" not in names, path
    assert not {"Article", "ClaimMatchRow"} & set(crawler.storage.__all__)
