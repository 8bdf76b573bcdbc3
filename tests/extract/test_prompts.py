"""Prompt templates: the built-in Korean and English ones, and a user's own file."""

from __future__ import annotations

import pytest

from curator.errors import ConfigError
from curator.extract.prompts import TemplateChooser, builtin_template, guess_language, load_template


@pytest.mark.parametrize("language", ["en", "ko"])
def test_builtin_templates_have_versions_and_fill_the_chunk(language):
    t = builtin_template(language)
    assert t.prompt_version == f"qa-extract-{language}@1" and t.language == language
    messages = t.messages(chunk="CHUNK-TEXT", title="Lecture 6", max_pairs=4)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "<chunk>\nCHUNK-TEXT\n</chunk>" in messages[1]["content"]
    assert "Lecture 6" in messages[1]["content"] and "4" in messages[0]["content"]
    assert "{{" not in messages[0]["content"] + messages[1]["content"]
    assert "{{errors}}" in t.repair


def test_language_is_taken_from_the_document_or_guessed():
    chooser = TemplateChooser()
    assert chooser.for_text("anything", "ko-KR")[0].language == "ko"
    assert chooser.for_text("신용장은 은행이 대금 지급을 약속하는 장치입니다.", None)[0].language == "ko"
    assert chooser.for_text("Letters of credit are issued by banks.", None)[0].language == "en"
    assert guess_language("FOB 조건에서는 본선 적재 시점에 위험이 이전됩니다.") == "ko"


def test_user_template_replaces_the_builtin_and_keeps_its_version(tmp_path):
    path = tmp_path / "mine.md"
    path.write_text("---\nname: my-prompt\nversion: 7\n---\n[system]\nBe brief.\n[user]\nText: {{chunk}}\n",
                    encoding="utf-8")
    chooser = TemplateChooser("mine.md", tmp_path)
    t, language = chooser.for_text("신용장", "ko")
    assert t.prompt_version == "my-prompt@7" and t.repair is None and language == "ko"


def test_user_template_without_version_gets_a_content_hash(tmp_path):
    path = tmp_path / "plain.md"
    path.write_text("[system]\nBe brief.\n[user]\n{{chunk}}\n", encoding="utf-8")
    assert load_template(path).version.startswith("sha-")


@pytest.mark.parametrize("text, problem", [
    ("[system]\nonly a system part\n", "needs a [user] section"),
    ("[system]\nx\n[user]\nno placeholder\n", "must contain {{chunk}}"),
    ("---\nname x\n---\n[system]\nx\n[user]\n{{chunk}}\n", "expected 'key: value'"),
])
def test_broken_templates_name_the_file_and_the_problem(tmp_path, text, problem):
    path = tmp_path / "broken.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_template(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_missing_template_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        TemplateChooser("nope.md", tmp_path)
