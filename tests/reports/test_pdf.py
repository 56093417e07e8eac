"""The PDF drawing reads nothing the HTML names but data: URLs: no local file, no address on the network."""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from PIL import Image
from pypdf import PdfReader

from moodle_bridge.reports import pdf


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def test_only_data_urls_are_read_files_and_addresses_named_in_the_html_are_not(tmp_path):
    (tmp_path / "leak.css").write_text('body::before { content: "FROM-A-FILE" }', encoding="utf-8")
    (tmp_path / "leak.png").write_bytes(_png())
    asked: list[str] = []

    class Counting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'body::after { content: "FROM-THE-NETWORK" }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        image = base64.b64encode(_png()).decode()
        document = pdf.pdf_bytes(
            f'<html><head><link rel="stylesheet" href="{(tmp_path / "leak.css").as_uri()}">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/leak.css">'
            '<link rel="stylesheet" href="data:text/css,p::after%20%7Bcontent%3A%22-INLINE%22%7D">'
            f'</head><body><p>Text</p><img src="{(tmp_path / "leak.png").as_uri()}">'
            f'<img src="file:///etc/passwd"><img src="data:image/png;base64,{image}"></body></html>')
    finally:
        server.shutdown()
        server.server_close()
    page = PdfReader(io.BytesIO(document)).pages[0]
    text = page.extract_text()
    assert "Text-INLINE" in text  # a data: stylesheet is read
    assert "FROM-A-FILE" not in text and "FROM-THE-NETWORK" not in text
    assert asked == []  # no request reached the server
    assert len(page.images) == 1  # the data: image; neither file was read
