"""Real local servers that notifications are delivered to in tests: an HTTP catcher for
webhooks and chat robots, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Caught:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class HttpCatcher:
    """A real HTTP server on 127.0.0.1 in a thread. Records every POST and answers with
    the next scripted (status, body) reply, then with `default` once the script is used."""

    def __init__(self, default: tuple[int, bytes] = (200, b"ok")) -> None:
        self.default = default
        self.script: list[tuple[int, bytes]] = []
        self.requests: list[Caught] = []
        self.lock = threading.Lock()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                with catcher.lock:
                    catcher.requests.append(
                        Caught(
                            path=parts.path,
                            query={k: v[0] for k, v in parse_qs(parts.query).items()},
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            at=time.time(),
                        )
                    )
                    status, reply = catcher.script.pop(0) if catcher.script else catcher.default
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> HttpCatcher:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, n: int, timeout: float = 10) -> list[Caught]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            assert time.monotonic() < deadline, f"expected {n} requests, got {len(self.requests)}"
            time.sleep(0.02)
        return list(self.requests)


class SmtpCatcher:
    """aiosmtpd's Controller on a free port; keeps every message it receives and refuses
    the recipients in `refused` with 550."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: set[str] = set()
        catcher = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                if address in catcher.refused:
                    return "550 no such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                catcher.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                catcher.messages.append(message_from_bytes(envelope.original_content))
                return "250 Message accepted for delivery"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
