"""The engine's vocabulary: endpoint settings, a structured request, its outcome, and failure kinds.

Re-exported by `curator.llm.engine`, which is where callers import them from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai

from curator.errors import ConfigError
from curator.llm.backends import BACKENDS
from curator.llm.http_guard import too_large_cause
from curator.secrets import credentials_problem, env_name_problem

FATAL_KINDS = frozenset({"auth", "bad_request", "not_found"})
DEFAULT_REPAIR = ("Your previous answer could not be used:\n{{errors}}\n"
                  "Answer again following the same instructions: one JSON object only, with these problems fixed.")


class EngineStopped(Exception):
    """Raised instead of sending a request once `stop_sending()` was called."""


class BadResponse(Exception):
    """The endpoint answered HTTP 200 with something that is not a chat completion."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    backend: str = "openai"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.2
    max_tokens: int = 1024
    concurrency: int = 8
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    timeout_s: float = 120.0
    max_retries: int = 3
    max_response_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        # Every way of making an endpoint (curator.toml, --base-url, the judge, bench llm) passes here.
        problem = env_name_problem(self.api_key_env) or (
            credentials_problem(self.base_url, self.api_key_env, "the endpoint URL") if self.base_url else None)
        if problem:
            raise ConfigError(problem)

    @classmethod
    def from_config(cls, llm: dict[str, Any], *, base_url: str | None = None, **overrides: Any) -> Endpoint:
        keys = ("model", "backend", "api_key_env", "temperature", "max_tokens", "concurrency",
                "requests_per_minute", "tokens_per_minute", "timeout_s", "max_retries", "max_response_bytes")
        values = {k: llm[k] for k in keys if k in llm}
        values.update(overrides)
        if values.get("backend", "openai") not in BACKENDS:
            raise ValueError(f"unknown backend {values['backend']!r}; expected one of {', '.join(BACKENDS)}")
        return cls(base_url=base_url or llm.get("base_url", ""), **values)


@dataclass
class StructuredRequest:
    messages: list[dict[str, Any]]
    schema: dict[str, Any]
    schema_name: str = "answer"
    purpose: str = "extract"
    prompt_version: str | None = None
    chunk_id: int | None = None
    check: Callable[[Any], list[str]] | None = None
    repair_attempts: int = 1
    use_cache: bool = True
    params: dict[str, Any] | None = None
    repair_message: str | None = None


@dataclass
class CallOutcome:
    ok: bool
    data: Any = None
    call_id: int | None = None
    call_ids: list[int] = field(default_factory=list)
    attempts: int = 0
    sent: int = 0  # requests actually sent (the others came from the cache)
    repaired: bool = False
    cached: bool = False
    raw: str | None = None
    errors: list[str] = field(default_factory=list)
    error_kind: str | None = None
    request_id: str | None = None

    @property
    def fatal(self) -> bool:
        return self.error_kind in FATAL_KINDS


@dataclass
class EngineStats:
    requests_sent: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cached_tokens: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def error_kind(exc: BaseException) -> str:
    """A short name for what went wrong talking to the endpoint (the SDK already retried what it could)."""
    if isinstance(exc, BadResponse):
        return "bad_response"
    if too_large_cause(exc) is not None:
        return "too_large"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limit"
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return "auth"
    if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError)):
        return "bad_request"
    if isinstance(exc, openai.NotFoundError):
        return "not_found"
    if isinstance(exc, openai.InternalServerError):
        return "server"
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}"
    return "api"


def describe_error(exc: Exception) -> str:
    if isinstance(exc, BadResponse):
        return str(exc)
    too_large = too_large_cause(exc)
    if too_large is not None:
        return str(too_large)
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from {exc.request.url}: {exc.message}"
    request = getattr(exc, "request", None)
    where = f" ({request.url})" if request is not None else ""
    return f"{getattr(exc, 'message', '') or type(exc).__name__}{where}"


def answer_kind(errors: list[str], refusal: str | None, finish: str | None) -> str | None:
    if not errors:
        return None
    if refusal and errors[0].startswith("the model refused"):
        return "refusal"
    if finish == "length":
        return "length"
    return "invalid"
