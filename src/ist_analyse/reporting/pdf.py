"""The PDF twin of the HTML report, made by WeasyPrint from the same HTML.

The report must be self-contained: a PDF that quietly pulled a stylesheet, font or picture from
the network or from the disk of the machine that made it would leak data (a URL in the data!)
or differ from the HTML. So WeasyPrint gets a URL fetcher that serves ``data:`` URIs (our
embedded pictures) and refuses everything else; the refusal is logged by WeasyPrint and the
element is left out, never fetched.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ist_analyse.errors import OutputError
from ist_analyse.files import atomic_path


class FetchRefused(Exception):
    """Raised by :func:`data_only_fetcher` for any URL that is not an embedded ``data:`` URI."""


def data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses everything else (no
    http(s), no file, no redirects)."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise FetchRefused(f"the report does not fetch {url[:80]!r}")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=("data",), allow_redirects=False)


def write_pdf(html: str, target: str | Path) -> Path:
    """Render ``html`` (our report, with its print CSS) to ``target``, atomically."""
    from weasyprint import HTML

    # fontTools and WeasyPrint log every subsetted font at INFO/WARNING; the report's
    # own messages are enough
    for name in ("fontTools", "fontTools.subset", "fontTools.ttLib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        document = HTML(string=html, base_url=None, url_fetcher=data_only_fetcher())
        with atomic_path(target) as tmp:
            document.write_pdf(str(tmp))
    except OSError as exc:
        raise OutputError(f"cannot write the PDF: {exc}", file=target) from exc
    return Path(target)
