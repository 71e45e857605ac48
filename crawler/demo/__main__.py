"""``python -m crawler.demo [--port N]``: serve the demo web until Ctrl-C and print its sources."""

from __future__ import annotations

import argparse
import json
import logging
import threading

from crawler.demo.server import DEFAULT_OVERSIZE_BYTES, DEFAULT_SLOW_DELAY, DemoSite


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, start the site, print the source list and wait for Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--slow-delay", type=float, default=DEFAULT_SLOW_DELAY, help="seconds the slow page waits"
    )
    parser.add_argument(
        "--oversize-bytes", type=int, default=DEFAULT_OVERSIZE_BYTES, help="size of the huge page"
    )
    parser.add_argument("--json", action="store_true", help="print the sources as JSON")
    parser.add_argument(
        "--state", action="store_true", help="print one JSON line: base URL, sources and expectations"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    site = DemoSite(args.slow_delay, args.oversize_bytes, host=args.host, port=args.port)
    base_url = site.start()
    try:
        if args.state:
            state = {"base_url": base_url, "sources": site.sources(), "expectations": site.expectations()}
            print(json.dumps(state, ensure_ascii=False), flush=True)
        elif args.json:
            print(json.dumps(site.sources(), ensure_ascii=False, indent=2))
        else:
            print(f"Demo web at {base_url}/ (Ctrl-C to stop). Sources:")
            for source in site.sources():
                print(f"  {source['kind']:8} {source['lang']}  {source['url']}  {source['name']}")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
