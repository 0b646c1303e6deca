"""The HTTPS server: turns HTTP requests into :class:`Request` values for the simulation.

Standard library only (``http.server`` + ``ssl``) so the simulator starts in well under a
second and has nothing to install beyond ``cryptography`` for its certificates.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from simulator.faults import ConnectionDropped
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

log = logging.getLogger("simulator")
MAX_BODY = 4 * 1024 * 1024
# Azure's front end (HTTP.sys) refuses a request URL whose escapes decode to U+0000-U+001F or
# U+007F-U+009F with "400 Bad Request - Invalid URL" before any resource provider sees it
# (Microsoft KB 820129, "Http.sys registry settings": AllowRestrictedChars, default off). A
# resource name with a newline therefore never exists in ARM, and never reaches a backend here.
_RESTRICTED = re.compile("[\x00-\x1f\x7f-\x9f]")
_INVALID_URL = (
    b"<!DOCTYPE HTML><html><head><title>Bad Request</title></head><body>"
    b"<h2>Bad Request - Invalid URL</h2><hr><p>HTTP Error 400. The request URL is invalid.</p>"
    b"</body></html>"
)
_HEADER_UNSAFE = re.compile("[\x00-\x1f\x7f]")


def header_value(value: str) -> str:
    """``value`` safe to write as one header line: control characters percent-encoded.

    http.server writes header values verbatim; a CR or LF in one (a name from a URL, echoed in
    a Location) would end the header block early and leave the client waiting for a body.
    """
    return _HEADER_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", value)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY each keep-alive response
    # waits ~40 ms for the client's delayed ACK (Nagle), which thousands of calls notice.
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(
                Response(
                    413,
                    {
                        "error": {
                            "code": "RequestEntityTooLarge",
                            "message": "The request body is too large.",
                        }
                    },
                )
            )
            return
        body = self.rfile.read(length) if length else b""
        path = unquote(split.path)
        if _RESTRICTED.search(path):
            self._invalid_url()
            return
        request = Request(
            method=self.command.upper(),
            path=path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            response = self.server.simulation.handle(request)
        except ConnectionDropped:
            self.close_connection = True  # a scripted transport failure: no answer at all
            return
        except Exception:  # a bug in the simulator must still answer, and say so
            log.exception("simulator failure on %s %s", request.method, request.path)
            response = Response(
                500,
                {
                    "error": {
                        "code": "SimulatorInternalError",
                        "message": "The simulator failed on this request; see its log.",
                    }
                },
            )
        self._send(response)

    def _invalid_url(self) -> None:
        log.info("refused %s: the URL holds an escaped control character", self.command)
        self.send_response(400, "Bad Request")
        self.send_header("Content-Type", "text/html; charset=us-ascii")
        self.send_header("Content-Length", str(len(_INVALID_URL)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(_INVALID_URL)

    def _send(self, response: Response) -> None:
        payload = response.encoded() if self.command != "HEAD" else b""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, header_value(str(value)))
        self.send_header("Content-Length", str(len(response.encoded())))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve
    do_MERGE = _serve  # Table Storage's own verb for a merge update

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTPS server bound to one simulation."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, simulation: Simulation, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.simulation = simulation
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def dumps_ready(info: dict[str, object]) -> str:
    return "READY " + json.dumps(info, sort_keys=True)
