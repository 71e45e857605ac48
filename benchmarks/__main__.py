"""Run benchmarks by name: `python -m benchmarks extraction ingest` (no name runs them all)."""

from __future__ import annotations

import importlib
import sys

ALL = (
    "extraction",
    "ingest",
    "claims_audit",
    "judging_offline",
    "judging_real",
    "dedup_speed",
    "dedup_real",
    "semantic",
    "fanout",
    "bot_latency",
    "soak",
    "feeds_5000",
    "judge_startup",
    "scaleout",
)


def main(argv: list[str]) -> int:
    """`python -m benchmarks NAME [options]` runs one benchmark; no name runs them all with defaults."""
    if argv and argv[0] not in ALL:
        print(f"unknown benchmark {argv[0]!r}; choose from {', '.join(ALL)}", file=sys.stderr)
        return 2
    runs = [(argv[0], argv[1:])] if argv else [(name, []) for name in ALL]
    for name, options in runs:
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").main(options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
