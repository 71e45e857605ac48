"""The offline demo web of seedwatch: fictional outlets with real January–February 2025 coverage.

``DemoSite`` serves it on 127.0.0.1 for ``seedwatch demo`` and the integration tests; the corpus
(``corpus/outlets.yaml``, ``corpus/articles/{en,zh}/*.md``, ``corpus/templates/*.html``) ships as
package data. ``python -m crawler.demo`` serves it until Ctrl-C.
"""

from __future__ import annotations

from crawler.demo.corpus import CorpusError, load_corpus
from crawler.demo.process import DemoSiteProcess
from crawler.demo.server import DemoSite

__all__ = ["CorpusError", "DemoSite", "DemoSiteProcess", "load_corpus"]
