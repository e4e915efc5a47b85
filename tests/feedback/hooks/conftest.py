from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feedback.hooks import events
from feedback.hooks.intake import typeform_signature
from feedback.hooks.models import Intake, IntakeKind, new_standard_secret
from feedback.hooks.services import intake_create
from tests.feedback.hooks.typeform_payloads import MAPPING


@pytest.fixture
def touchpoint(journey):
    tp = journey.stages.order_by("position").first().touchpoints.first()
    tp.code = "DELIVERY"
    tp.save(update_fields=["code"])
    return tp


@pytest.fixture(autouse=True)
def _no_cached_events(db, workspace, other_workspace):
    # The events cache outlives a test (and ids repeat on SQLite): start each test from what
    # the database says.
    events.refresh(workspace.pk)
    events.refresh(other_workspace.pk)


@pytest.fixture
def typeform(admin, touchpoint) -> Intake:
    intake, _secret = intake_create(
        actor=admin, kind=IntakeKind.TYPEFORM, name="Delivery survey", touchpoint=touchpoint
    )
    intake.mapping = dict(MAPPING)
    intake.save(update_fields=["mapping"])
    return intake


@pytest.fixture
def signed(admin) -> Intake:
    intake, _secret = intake_create(actor=admin, kind=IntakeKind.SIGNED, name="CRM")
    return intake


def post_typeform(client, intake: Intake, body, *, secret: str | None = None, signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signature is None:
        signature = typeform_signature(secret or intake.secret, raw)
    if signature is not False:
        headers["HTTP_TYPEFORM_SIGNATURE"] = signature
    return client.post(
        f"/hooks/typeform/{intake.token}/", raw, content_type="application/json", **headers
    )


class Receiver:
    """A real HTTP server in a thread: records each request; answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.headers: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}/hook?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on loopback
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def whsec() -> str:
    return new_standard_secret()
