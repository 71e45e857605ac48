"""Write one benchmark's section of benchmarks/results.md, leaving the other sections alone."""

from __future__ import annotations

import fcntl
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.md"
HEADER = (
    "# Benchmark results\n\n"
    "Measured figures only, written by the scripts in this folder (`python -m benchmarks NAME`).\n"
    "Each section says when and on what it was measured. Speed figures are ratios against a baseline\n"
    "run in the same script, because these machines are shared and noisy.\n"
)


def machine() -> str:
    """A one-line description of where a figure was measured."""
    import os

    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {os.cpu_count()} CPUs, {platform.machine()}"


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or add) the section `name` of results.md with `body` under the heading `title`."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"<!-- {name}:start -->\n## {title}\n\n_Measured {stamp} on {machine()}._\n\n"
        f"{body.strip()}\n<!-- {name}:end -->\n"
    )
    RESULTS.touch(exist_ok=True)
    with RESULTS.open("r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        text = handle.read() or HEADER
        pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->\n?", re.S)
        text = (
            pattern.sub(lambda _m: block, text)
            if pattern.search(text)
            else text.rstrip("\n") + "\n\n" + block
        )
        handle.seek(0)
        handle.truncate()
        handle.write(text)
