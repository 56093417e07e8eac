"""HTML to PDF with WeasyPrint: a paged-media engine in Python (HTML and CSS, A4 pages, page breaks, page numbers),
which finds Debian's Noto CJK fonts through fontconfig; no browser process on the server.

The document carries its CSS inline, so nothing is fetched: every URL it might name (file://, http://) is refused,
only data: URLs are read. Whatever the HTML names, the server reads no file and calls no address."""

from __future__ import annotations

from ..i18n import _


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it draws with (Pango), cannot be loaded here: one line saying so."""


def pdf_bytes(html: str) -> bytes:
    """The HTML document as PDF bytes. Raises PdfUnavailable when WeasyPrint cannot run here."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: cffi could not load Pango, GObject or HarfBuzz
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise PdfUnavailable(_("PDF cannot be made here: WeasyPrint or the Pango library it needs is missing "
                               "({reason}); HTML can be printed instead.").format(reason=reason)) from None
    only_data = URLFetcher(allowed_protocols=("data",), allow_redirects=False)
    document: bytes = HTML(string=html, url_fetcher=only_data).write_pdf()
    return document
