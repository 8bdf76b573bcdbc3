"""curator.secrets.redact: what it blanks out, and the prose it must leave alone (extracted pairs go through it)."""

from __future__ import annotations

import pytest

from curator.secrets import (
    REDACTED,
    RedactingStream,
    credentials_problem,
    env_name_problem,
    is_local_url,
    redact,
)

KEY = "Zq7cur4t0rPl4nt3dK3y9x2W"


@pytest.fixture(autouse=True)
def planted(monkeypatch):
    from curator.secrets import watch_env

    monkeypatch.setenv("CURATOR_UNIT_KEY", KEY)
    watch_env("CURATOR_UNIT_KEY")


@pytest.mark.parametrize(("text", "expected"), [
    (f"Incorrect API key provided: {KEY}", f"Incorrect API key provided: {REDACTED}"),
    (f"quoted in the middle{KEY}of a word", f"quoted in the middle{REDACTED}of a word"),
    ("HTTP 401 from http://user:pw@llm.local:1/v1/chat", f"HTTP 401 from http://{REDACTED}@llm.local:1/v1/chat"),
    ("https://llm.example.com/v1?api-key=abc&x=1", f"https://llm.example.com/v1?api-key={REDACTED}&x=1"),
    ("GET /v1?access_token=xyz#top", f"GET /v1?access_token={REDACTED}#top"),
    ('{"authorization": "Bearer abcdefgh12345678"}', f'{{"authorization": "Bearer {REDACTED}"}}'),
    ("x-api-key: 0123456789abcdef", f"x-api-key: {REDACTED}"),
    ("sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", f"sent Bearer {REDACTED}"),
    ("old key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX1 here", f"old key {REDACTED} here"),
    ("gsk_ABCDEFGHIJKLMNOPQRSTUVWX1", REDACTED),
])
def test_secrets_are_blanked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("prose", [
    "A bill of lading made out to bearer is transferred by delivery.",
    "Authorization: the importer must sign the declaration first.",
    "See https://example.com/incoterms?lang=en&page=2 for the rules.",
    "The key question is who pays the freight.",
    "HS code 8471.30 covers portable computers.",
    "김 과장의 이메일은 kim@example.com 입니다.",
])
def test_prose_is_left_alone(prose):
    assert redact(prose) == prose


def test_a_stream_redacts_what_is_written_through_it(capsys):
    import sys

    RedactingStream(sys.stdout).write(f"error: key {KEY} refused\n")
    assert capsys.readouterr().out == f"error: key {REDACTED} refused\n"


def test_setting_checks_name_the_problem_without_the_value():
    assert env_name_problem("OPENAI_API_KEY") is None and env_name_problem("MY_LLM_KEY_2") is None
    for value in ("gsk_ABC123", "sk-live-0123456789", "my key", "lowercase_name"):
        problem = env_name_problem(value)
        assert problem is not None and value not in problem
    problem = credentials_problem(f"http://me:{KEY}@llm.local/v1", "CURATOR_UNIT_KEY", "[llm].base_url")
    assert problem is not None and KEY not in problem and "CURATOR_UNIT_KEY" in problem
    assert credentials_problem("http://127.0.0.1:8000/v1?model=x", "K", "url") is None


def test_local_endpoints():
    assert all(is_local_url(u) for u in ("http://127.0.0.1:1/v1", "http://localhost/v1", "http://[::1]:8/v1",
                                         "http://127.5.0.1/v1", "http://api.localhost/v1"))
    assert not any(is_local_url(u) for u in ("https://api.openai.com/v1", "http://10.0.0.5:8000/v1",
                                             "http://localhost.example.com/v1"))


def test_variables_named_for_secrets_are_redacted_others_are_not(monkeypatch):
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok3nValueForTheTest")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "sometimes-maybe")
    assert redact("t=tok3nValueForTheTest") == f"t={REDACTED}"
    assert redact("by author@example.com, sometimes-maybe") == "by author@example.com, sometimes-maybe"


def test_redacting_twice_changes_nothing_more():
    once = redact("GET http://u:p@h/v1?api-key=abc123456. Authorization: Bearer abcdefgh12345678.")
    assert redact(once) == once == (f"GET http://{REDACTED}@h/v1?api-key={REDACTED} "
                                    f"Authorization: Bearer {REDACTED}")
