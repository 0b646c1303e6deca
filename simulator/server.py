"""The HTTPS server: turns HTTP requests into :class:`Request` values for the simulation.

Standard library only (``http.server`` + ``ssl``) so the simulator starts in well under a
second and has nothing to install beyond ``cryptography`` for its certificates.
"""

from __future__ import annotations

import json
import logging
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
        request = Request(
            method=self.command.upper(),
            path=unquote(split.path),
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

    def _send(self, response: Response) -> None:
        payload = response.encoded() if self.command != "HEAD" else b""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
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
