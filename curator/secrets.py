"""Secrets: which values count as one, the checks that keep them out of settings, and `redact`.

`redact` is the one function every text that is stored (the call log, errors, run
configs and errors, a chunk's extraction error) or printed (the CLI's stdout and
stderr, listings, reports) goes through. It blanks out, as ``[redacted]``:

- the values of the environment variables that hold keys: the one `[llm].api_key_env`
  names, any other `*_env` setting, OPENAI_API_KEY, and every variable whose name has a
  word saying it holds a secret (KEY, TOKEN, SECRET, PASSWORD, ...: HF_TOKEN, DB_PASSWORD),
  when the value is long enough to be one (8 characters and more);
- credentials inside URLs: ``scheme://user:password@host`` and query parameters such as
  ``api-key=``, ``key=``, ``token=``, ``access_token=``;
- the value of Authorization / api-key headers and ``Bearer`` tokens;
- strings shaped like the keys of well-known providers (``sk-...``, ``gsk_...``, ``hf_...``).

The patterns only fire on token-shaped values (no spaces, a digit or 20+ characters), so
prose such as "a bill made out to bearer" or "Authorization: the importer must..." in
an extracted pair is left alone.

It lives at the core level (no imports from curator's layers) because the store, the
configuration, the LLM client and the CLI all need it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REDACTED = "[redacted]"
MIN_SECRET_LEN = 8  # shorter values would blank out ordinary words wherever they occur
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
# a variable holds a secret when one of the _-separated words of its name says so (OPENAI_API_KEY, HF_TOKEN,
# DB_PASSWORD), not when a word merely contains one (GIT_AUTHOR_EMAIL, TOKENIZERS_PARALLELISM)
_SECRET_ENV_WORDS = frozenset({"KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS",
                               "AUTH"})
_SECRET_PARAMS = ("api-key", "api_key", "apikey", "key", "token", "access_token", "access-token", "auth",
                  "password", "passwd", "secret", "client_secret", "sig", "signature", "x-api-key")

# A token: no spaces or quotes, long enough, with a digit or very long (random keys nearly always have digits).
_TOKEN = r"(?=[^\s\"'<>,;&]*\d|[^\s\"'<>,;&]{20})[^\s\"'<>,;&]{8,}"
# (pattern, replacement, needles): a pattern runs only when one of its needles is in the lower-cased text, so
# the common case (a request or answer with nothing secret-shaped) costs a few substring searches, not regexes.
_PATTERNS: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    # scheme://user:pass@host (or scheme://token@host): the whole user part goes
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)(?!\[redacted\]@)[^/\s@\"'<>]+@"), rf"\1{REDACTED}@", ("://",)),
    # ?api-key=...&token=...
    (re.compile(r"(?i)([?&;](?:" + "|".join(re.escape(p) for p in _SECRET_PARAMS) + r")=)(?!\[redacted\])"
                r"[^&#\s\"'<>]+"),
     rf"\1{REDACTED}", ("=",)),
    # Authorization: Bearer xxx / "authorization": "xxx" / api-key: xxx
    (re.compile(r"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|openai-api-key|x-goog-api-key)"
                r"([\"']?\s*:\s*[\"']?)((?:bearer|basic|token)\s+)?" + _TOKEN),
     rf"\1\2\3{REDACTED}", ("authorization", "api-key")),
    (re.compile(r"(?i)\b(bearer\s+)" + _TOKEN), rf"\1{REDACTED}", ("bearer",)),
    # well-known key shapes, whatever variable (if any) they came from
    (re.compile(r"\b(?:sk-(?:proj-|ant-|or-)?[A-Za-z0-9_\-]{20,}|gsk_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{30,}"
                r"|xai-[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{35}|gh[pousr]_[A-Za-z0-9]{30,})"), REDACTED,
     ("sk-", "sk_", "hf_", "xai-", "aiza", "gh")),
]

_watched: set[str] = {"OPENAI_API_KEY"}
_scan_cache: tuple[int, frozenset[str]] = (-1, frozenset())
_values_cache: tuple[Any, list[str]] = (None, [])


def watch_env(name: str | None) -> None:
    """Treat the value of environment variable `name` as a secret from now on (e.g. [llm].api_key_env)."""
    if name and isinstance(name, str):
        _watched.add(name)


def watch_config(config: dict[str, Any]) -> None:
    """Watch every variable a `*_env` setting of the configuration names."""
    for key, value in config.items():
        if isinstance(value, dict):
            watch_config(value)
        elif key.endswith("_env") and isinstance(value, str):
            watch_env(value)


def secret_values() -> list[str]:
    """The secret values currently in the environment, longest first (so a key containing another goes whole)."""
    global _scan_cache, _values_cache
    if _scan_cache[0] != len(os.environ):  # names that say "secret": rescanned when the environment changes size
        found = {v.strip() for k, v in os.environ.items()
                 if _SECRET_ENV_WORDS.intersection(k.upper().split("_")) and _looks_secret(v)}
        _scan_cache = (len(os.environ), frozenset(found))
    key = (_scan_cache[1], tuple((name, os.environ.get(name)) for name in sorted(_watched)))
    if _values_cache[0] != key:  # the watched variables are looked up every time: a changed value is seen at once
        values = set(_scan_cache[1])
        for _, value in key[1]:
            value = (value or "").strip()
            if len(value) >= MIN_SECRET_LEN:
                values.add(value)
        _values_cache = (key, sorted(values, key=len, reverse=True))
    return _values_cache[1]


def _looks_secret(value: str) -> bool:
    value = value.strip()
    return len(value) >= MIN_SECRET_LEN and not any(c.isspace() for c in value) and not value.startswith(
        ("/", "./", "~")) and value.lower() not in ("true", "false")


def redact(text: str | None) -> str | None:
    """`text` with every secret value, URL credential, auth header value and key-shaped string blanked out."""
    if not text:
        return text
    for value in secret_values():
        if value in text:
            text = text.replace(value, REDACTED)
    lowered = text.lower()
    for pattern, replacement, needles in _PATTERNS:
        if any(n in lowered for n in needles):
            text = pattern.sub(replacement, text)
            lowered = text.lower()
    return text


def redact_data(value: Any) -> Any:
    """`redact` applied to every string inside nested dicts, lists and tuples (keys included)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v) for v in value)
    return value


# -- what the settings may hold ---------------------------------------------------------------------


def url_credentials(url: str) -> str | None:
    """What kind of credential `url` carries ("user:password@", "?api-key="), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "user:password@"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _SECRET_PARAMS:
            return f"{name}="
    return None


def credentials_problem(url: str, api_key_env: str, where: str) -> str | None:
    """A one-line refusal for an endpoint URL that carries credentials, saying where the key belongs."""
    found = url_credentials(url)
    if found is None:
        return None
    return (f"{where} carries credentials ({found}) and is refused: {redact(url)}. Remove them; the key "
            f"belongs in the environment variable {api_key_env} ([llm].api_key_env), sent as the Authorization header.")


def env_name_problem(name: Any, where: str = "[llm].api_key_env") -> str | None:
    """A refusal, never echoing the value, when `name` is not an environment variable's name (it may be a key)."""
    if isinstance(name, str) and ENV_NAME.fullmatch(name):
        return None
    return (f"{where} must name an environment variable (capital letters, digits and _, such as "
            "OPENAI_API_KEY); its value does not, and may be a key itself, so it is not shown. Put the key in an "
            f"environment variable (export MY_LLM_KEY=...) and write that variable's name in {where}.")


def is_local_url(url: str) -> bool:
    """True for loopback endpoints (localhost, 127.0.0.0/8, ::1): no key is expected there."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RedactingStream:
    """A text stream (sys.stdout / sys.stderr) that redacts every write: the CLI's last line of defence."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, flush, buffer...
        return getattr(self._stream, name)
