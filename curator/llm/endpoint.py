"""Which endpoint a stage talks to: the configured one, or the bundled local model started for the occasion."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curator.errors import ConfigError
from curator.llm.engine import Endpoint
from curator.llm.local import LocalModelServer
from curator.secrets import is_local_url, redact, watch_env

_warned: set[tuple[str, str]] = set()


def warn_if_keyless(base_url: str, api_key_env: str) -> None:
    """One line on stderr when a remote endpoint will be called without a key (once per endpoint and process).

    Loopback endpoints (a local vLLM, Ollama, llama.cpp) usually need none, so they are not warned about.
    """
    watch_env(api_key_env)
    if not base_url or os.environ.get(api_key_env) or is_local_url(base_url) or (base_url, api_key_env) in _warned:
        return
    _warned.add((base_url, api_key_env))
    sys.stderr.write(redact(f"warning: the environment variable {api_key_env} ([llm].api_key_env) is not set; "
                            f"requests to {base_url} go out without an API key\n"))


def check_key(endpoint: Endpoint) -> None:
    """OpenAI itself needs a key; say where it goes (never what it is) when it is missing."""
    if "api.openai.com" in endpoint.base_url and not os.environ.get(endpoint.api_key_env):
        raise ConfigError(f"{endpoint.base_url} needs an API key but the environment variable "
                          f"{endpoint.api_key_env} is not set; export the key there (never in curator.toml)")


@contextmanager
def open_endpoint(llm: dict[str, Any], *, base_url: str | None = None, log_dir: Path | None = None,
                  **overrides: Any) -> Iterator[Endpoint]:
    """The endpoint to use for the block: [llm].base_url (or `base_url`), else the local model, stopped after."""
    url = base_url or llm.get("base_url", "")
    if url:
        endpoint = Endpoint.from_config(llm, base_url=url, **overrides)
        check_key(endpoint)
        warn_if_keyless(endpoint.base_url, endpoint.api_key_env)
        yield endpoint
        return
    server = LocalModelServer(alias=llm.get("model") or "gemma-3-270m", n_ctx=llm.get("local_n_ctx", 4096),
                              start_timeout_s=llm.get("local_start_timeout_s", 180),
                              log_path=(log_dir / "llama-server.log") if log_dir else None)
    with server:
        # llama-cpp-python's server answers one request at a time: more in flight would only time out.
        local = {"backend": "llamacpp", "concurrency": 1, **overrides}
        yield Endpoint.from_config(llm, base_url=server.base_url, **local)
