"""curator.toml: the documented defaults, the user's overrides, validated against schemas/config.schema.json."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from curator.errors import ConfigError
from curator.schemas import validation_errors
from curator.secrets import credentials_problem, env_name_problem, redact, watch_config

CONFIG_NAME = "curator.toml"
_SECRET_WORDS = ("api_key", "apikey", "secret", "password")


def default_config_text() -> str:
    return resources.files("curator").joinpath("config_default.toml").read_text(encoding="utf-8")


def default_config() -> dict[str, Any]:
    return tomllib.loads(default_config_text())


def load_config(path: Path) -> dict[str, Any]:
    """The workspace's settings: defaults overlaid with the file's, or a ConfigError naming what is wrong."""
    try:
        user = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist; run `curator init` to create a workspace") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc})") from exc
    _refuse_secrets(path, user)
    _refuse_misplaced_keys(path, user)
    problems = validation_errors("config", user)
    if problems:  # a message may quote a value: it goes through redact like everything printed
        raise ConfigError(redact(f"{path}: " + "; ".join(problems)))
    config = merge(default_config(), user)
    watch_config(config)  # the variables named by *_env settings hold secrets: redact their values everywhere
    return config


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _refuse_misplaced_keys(path: Path, user: dict[str, Any]) -> None:
    """A key typed where a variable's name goes, or inside the endpoint URL: refused before anything echoes it."""
    sections = [(name, section) for name, section in user.items() if isinstance(section, dict)]
    llm = user.get("llm") if isinstance(user.get("llm"), dict) else {}
    for name, section in sections:
        for key, value in section.items():
            if key.endswith("_env"):
                problem = env_name_problem(value, f"[{name}].{key}")
                if problem:
                    raise ConfigError(f"{path}: {problem}")
    env_name = llm.get("api_key_env", "OPENAI_API_KEY")
    for name, section in sections:
        for key, value in section.items():
            if key.endswith("url") and isinstance(value, str):
                problem = credentials_problem(value, env_name if isinstance(env_name, str) else "OPENAI_API_KEY",
                                              f"[{name}].{key}")
                if problem:
                    raise ConfigError(f"{path}: {problem}")


def _refuse_secrets(path: Path, doc: dict[str, Any], prefix: str = "") -> None:
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _refuse_secrets(path, value, name + ".")
        elif any(w in key.lower() for w in _SECRET_WORDS) and not key.lower().endswith("_env"):
            raise ConfigError(
                f"{path}: `{name}` looks like a secret. Secrets never go in curator.toml: put the key in an "
                "environment variable and name that variable in [llm].api_key_env."
            )
