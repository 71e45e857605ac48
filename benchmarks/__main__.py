"""Run benchmarks by name: `python -m benchmarks extraction ingest` (no name runs them all)."""

from __future__ import annotations

import importlib
import sys

ALL = ("extraction", "ingest", "judging_real", "dedup_speed", "fanout", "soak")


def main(argv: list[str]) -> int:
    """Run each named benchmark module's `main()`."""
    names = argv or list(ALL)
    for name in names:
        if name not in ALL:
            print(f"unknown benchmark {name!r}; choose from {', '.join(ALL)}", file=sys.stderr)
            return 2
    for name in names:
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
