"""A fine-tuned run answering prompts: `chat` in the terminal and an OpenAI-compatible HTTP endpoint.

The endpoint listens on 127.0.0.1 only and implements what clients (the openai
SDK, curl, curator's own judge) need: GET /v1/models, POST /v1/chat/completions
and POST /v1/completions, without streaming. A chat request is answered from its
system message and its last user message, rendered with the run's template,
exactly as the model was trained; one request generates at a time.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from trainer.formatting import Formatter
from trainer.generate import Generated, Settings, default_settings, generate
from trainer.presets import from_dict
from trainer.version import Example

HOST = "127.0.0.1"


class Chatbot:
    """A run's model loaded once, answering one question at a time."""

    def __init__(self, run_dir: Path, device: str | None = None) -> None:
        import torch

        from trainer.model import load_trained

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model, tokenizer, self.manifest = load_trained(run_dir, device=self.device)
        hyper = from_dict(self.manifest["hyperparameters"])
        self.formatter = Formatter(tokenizer, self.manifest["template"], hyper.system or None)
        self.name = f"curator-run-{self.manifest['id']}"
        self.lock = threading.Lock()

    def answer(self, question: str, settings: Settings, system: str | None = None,
               use_adapter: bool = True) -> Generated:
        formatter = self.formatter
        if system:
            formatter = Formatter(self.formatter.tokenizer, self.formatter.template, system)
        with self.lock:
            return generate(self.model, formatter, [Example(question=question, answer="")], settings,
                            use_adapter=use_adapter)[0]

    def default_settings(self, *, greedy: bool = False, **explicit: Any) -> Settings:
        """The run's generation setting, the one `curator eval` uses, with `explicit` values on top."""
        return default_settings(self.manifest.get("base_model", {}).get("path"), greedy=greedy,
                                **{"batch_size": 1, **explicit})

    def prompt_tokens(self, question: str) -> int:
        return len(self.formatter.prompt_ids(Example(question=question, answer="")))


def _settings(body: dict[str, Any], defaults: Settings) -> Settings:
    """The server's default setting (the run's, as eval uses), with what the request asks for on top."""
    asked = {"max_new_tokens": body.get("max_tokens") or body.get("max_completion_tokens"),
             "temperature": body.get("temperature"), "top_p": body.get("top_p"), "seed": body.get("seed")}
    asked = {k: v for k, v in asked.items() if v is not None}
    kinds = {"max_new_tokens": int, "temperature": float, "top_p": float, "seed": int}
    values = {**defaults.as_dict(), **{k: kinds[k](v) for k, v in asked.items()}, "batch_size": 1}
    if asked:
        values["origin"] = f"{defaults.origin}; request " + ", ".join(f"{k} {v}" for k, v in sorted(asked.items()))
    return Settings(**values)


def _question(body: dict[str, Any]) -> tuple[str, str | None]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        raise ValueError("'messages' has no user message")
    system = next((m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "system"), None)
    return _text(users[-1].get("content")), _text(system) if system else None


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def make_handler(bot: Chatbot, defaults: Settings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "curator-serve"

        def log_message(self, format: str, *args: Any) -> None:  # keep the terminal for the startup line
            return

        def _send(self, status: int, document: dict[str, Any]) -> None:
            data = json.dumps(document, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": bot.name, "object": "model",
                                                             "owned_by": "curator"}]})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if body.get("stream"):
                    raise ValueError("streaming is not supported by curator serve; send stream=false")
                if self.path.rstrip("/") == "/v1/chat/completions":
                    question, system = _question(body)
                elif self.path.rstrip("/") == "/v1/completions":
                    question, system = _text(body.get("prompt")), None
                else:
                    return self._error(404, f"no route {self.path}")
                settings = _settings(body, defaults)
            except (ValueError, TypeError) as exc:
                return self._error(400, str(exc))
            answer = bot.answer(question, settings, system)
            usage = {"prompt_tokens": bot.prompt_tokens(question), "completion_tokens": answer.new_tokens}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            finish = "length" if answer.hit_limit else "stop"
            common = {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": bot.name,
                      "usage": usage}
            if self.path.rstrip("/") == "/v1/completions":
                return self._send(200, {**common, "object": "text_completion", "choices": [
                    {"index": 0, "text": answer.text, "finish_reason": finish}]})
            self._send(200, {**common, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": finish}]})

    return Handler


def make_server(bot: Chatbot, port: int, defaults: Settings | None = None) -> ThreadingHTTPServer:
    """`defaults`: the generation setting of requests that name none (default: bot.default_settings())."""
    """The HTTP server on 127.0.0.1:port (port 0 picks a free one); call serve_forever() to run it."""
    return ThreadingHTTPServer((HOST, port), make_handler(bot, defaults or bot.default_settings()))
