"""A small web site on 127.0.0.1 for tests: a handler's routes served on a port of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Pages(BaseHTTPRequestHandler):
    """A handler whose subclasses answer with `send_page`; no request log on stderr."""

    def send_page(self, body: bytes, content_type: str) -> None:
        """A 200 answer with a body and its length."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def static_pages(pages: Mapping[str, tuple[str, bytes]]) -> type[Pages]:
    """A handler answering path -> (content type, body) from `pages`, read at each request (the query is
    ignored); 404 for any other path."""

    class Static(Pages):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            page = pages.get(self.path.split("?")[0])
            if page is None:
                self.send_error(404)
                return
            self.send_page(page[1], page[0])

    return Static


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve with `handler` on 127.0.0.1 (port 0) for the length of the block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
