"""Real servers on 127.0.0.1 for delivery tests: SMTP (aiosmtpd) and a webhook
receiver (http.server). Both record what they received and stop by themselves."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingSMTPHandler:
    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; Django's e-mail settings point at it for the test."""
    from aiosmtpd.controller import Controller

    handler = RecordingSMTPHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


class WebhookReceiver:
    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append(
                        {"headers": dict(self.headers), "body": body, "json": json.loads(body)}
                    )
                    failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(503 if failing else 200)
                self.end_headers()
                self.wfile.write(b"busy" if failing else b"ok")

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def webhook_server(settings):
    """A real HTTP server taking the MDM webhook; settings point the tablet backend at it."""
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TRAFFIC_TABLET_BACKEND = "webhook"
    settings.TRAFFIC_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/mdm/messages"
    settings.TRAFFIC_WEBHOOK_SECRET = "test-shared-secret"
    yield receiver
    server.shutdown()
    server.server_close()
