"""Every stable sub-command exists and explains itself."""

import pytest

STABLE = ["init", "status", "add", "crawl", "extract", "filter", "review", "version", "export", "train", "eval",
          "chat", "serve", "bench", "llm"]


def test_top_level_help_lists_every_stable_command(curator_cmd):
    result = curator_cmd("--help")
    assert result.returncode == 0
    for name in STABLE:
        assert f" {name} " in result.stdout, name


@pytest.mark.parametrize("name", STABLE)
def test_each_command_has_help(curator_cmd, name):
    result = curator_cmd(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert len(result.stdout.split()) > 8  # more than a bare usage line


def test_unknown_command_is_a_usage_error(curator_cmd):
    result = curator_cmd("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr

