"""Prompt templates: files with a small front matter (name, version, language) and [system]/[user]/[repair] parts.

The built-in ones live in `curator/extract/prompts/` (qa_en.md, qa_ko.md);
`[extract].prompt` may point at a user's own file in the same format. The
template's `name@version` is stored with every call and pair, so a pair always
says which instruction made it. Placeholders: {{chunk}}, {{title}},
{{max_pairs}} and, in [repair], {{errors}}.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from curator.errors import ConfigError

_SECTION = re.compile(r"^\[(system|user|repair)\]\s*$", re.MULTILINE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
BUILTIN_LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    language: str | None
    system: str
    user: str
    repair: str | None
    origin: str  # the file it was read from

    @property
    def prompt_version(self) -> str:
        return f"{self.name}@{self.version}"

    def messages(self, *, chunk: str, title: str, max_pairs: int) -> list[dict[str, str]]:
        values = {"chunk": chunk, "title": title or "(untitled)", "max_pairs": str(max_pairs)}
        return [{"role": "system", "content": _fill(self.system, values)},
                {"role": "user", "content": _fill(self.user, values)}]


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def parse_template(text: str, origin: str) -> PromptTemplate:
    """Read a template file's text; a ConfigError names the file and what is missing."""
    meta: dict[str, str] = {}
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end == -1:
            raise ConfigError(f"{origin}: the front matter opened with '---' is never closed")
        for n, line in enumerate(text[3:end].strip().splitlines(), start=2):
            if line.strip():
                if ":" not in line:
                    raise ConfigError(f"{origin}:{n}: expected 'key: value' in the front matter, got {line!r}")
                k, v = line.split(":", 1)
                meta[k.strip()] = v.strip()
        body = text[end + 4:]
    parts = _SECTION.split(body)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    for required in ("system", "user"):
        if not sections.get(required, "").strip():
            raise ConfigError(f"{origin}: the template needs a [{required}] section")
    if "{{chunk}}" not in sections["user"]:
        raise ConfigError(f"{origin}: the [user] section must contain {{{{chunk}}}} where the text goes")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return PromptTemplate(name=meta.get("name") or Path(origin).stem, version=meta.get("version") or f"sha-{digest}",
                          language=meta.get("language"), system=sections["system"], user=sections["user"],
                          repair=sections.get("repair"), origin=origin)


@lru_cache(maxsize=8)
def builtin_template(language: str) -> PromptTemplate:
    lang = language if language in BUILTIN_LANGUAGES else "en"
    file = resources.files("curator.extract").joinpath("prompts", f"qa_{lang}.md")
    return parse_template(file.read_text(encoding="utf-8"), f"curator/extract/prompts/qa_{lang}.md")


def load_template(path: str | Path) -> PromptTemplate:
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"[extract].prompt: the template {path} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"[extract].prompt: {path} is not UTF-8 text ({exc})") from exc
    return parse_template(text, str(path))


def guess_language(text: str) -> str:
    """'ko' when Hangul makes up a good share of the letters, else 'en'."""
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample) or 1
    return "ko" if len(_HANGUL.findall(sample)) / letters > 0.2 else "en"


class TemplateChooser:
    """The template for a chunk: the configured file, else the built-in one for the document's language."""

    def __init__(self, configured: str = "", root: Path | None = None) -> None:
        self.custom = None
        if configured:
            path = Path(configured).expanduser()
            self.custom = load_template(path if path.is_absolute() or root is None else root / path)

    def for_text(self, text: str, language: str | None) -> tuple[PromptTemplate, str]:
        lang = (language or "").split("-")[0].lower() or guess_language(text)
        return (self.custom or builtin_template(lang)), lang
