"""HTML to PDF with WeasyPrint: a paged-media engine in Python (HTML and CSS, A4 pages, page breaks, page numbers),
which finds Debian's Noto CJK fonts through fontconfig; no browser process on the server."""

from __future__ import annotations

from ..i18n import _


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it draws with (Pango), cannot be loaded here: one line saying so."""


def pdf_bytes(html: str) -> bytes:
    """The HTML document as PDF bytes. Raises PdfUnavailable when WeasyPrint cannot run here."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: cffi could not load Pango, GObject or HarfBuzz
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise PdfUnavailable(_("PDF cannot be made here: WeasyPrint or the Pango library it needs is missing "
                               "({reason}); HTML can be printed instead.").format(reason=reason)) from None
    document: bytes = HTML(string=html).write_pdf()
    return document
