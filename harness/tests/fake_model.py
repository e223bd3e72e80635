"""A test double for an external model endpoint: a real local HTTP server speaking the chat-completions wire
format, replying with scripted messages (or messages computed from the request) and keeping every request."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeModel:
    """Replies to each request with the next scripted message; records the requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.replies: list[dict] = []
        self.failures_first = 0  # answer the first requests with 503 (the client must retry)
        self.respond: Callable[[dict], dict] | None = None  # computes the reply from the request, if set

    def reply(self, payload: dict) -> tuple[int, dict]:
        if self.failures_first:
            self.failures_first -= 1
            return 503, {"error": {"message": "overloaded"}}
        self.requests.append(payload)
        if self.respond is not None:
            message = self.respond(payload)
        else:
            message = self.replies.pop(0) if self.replies else {"role": "assistant", "content": "All done."}
        return 200, {"id": "chatcmpl-1", "object": "chat.completion", "model": payload["model"],
                     "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}


@pytest.fixture
def model(monkeypatch):
    fake = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers["Content-Length"])
            payload = json.loads(self.rfile.read(length))
            fake.headers.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            status, body = fake.reply(payload)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("EHRGYM_LLM_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("EHRGYM_LLM_MODEL", "fake-clinician-1")
    monkeypatch.setenv("EHRGYM_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("EHRGYM_LLM_TIMEOUT", "10")
    yield fake
    server.shutdown()
    server.server_close()
