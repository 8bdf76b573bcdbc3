"""The trainer's errors form one hierarchy: callers catch TrainerError, never a class name."""

import pytest

from trainer.bundled import BundledModelMissing
from trainer.errors import EvalError, SettingsError, TrainerError
from trainer.formatting import TemplateError
from trainer.presets import preset
from trainer.run import RunError
from trainer.semscore import EmbeddingModelMissing
from trainer.version import VersionReadError


@pytest.mark.parametrize("kind", [BundledModelMissing, EmbeddingModelMissing, EvalError, RunError, SettingsError,
                                  TemplateError, VersionReadError])
def test_every_user_facing_error_is_a_trainer_error(kind):
    assert issubclass(kind, TrainerError)


def test_an_unknown_preset_is_a_settings_error_and_still_a_value_error():
    with pytest.raises(SettingsError, match="unknown preset 'huge'") as caught:
        preset("huge", on_gpu=False)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(SettingsError, match="unknown training setting"):
        preset("smoke", on_gpu=False).updated(nonsense=1)


def test_curator_train_prints_a_trainer_error_as_one_line(workspace, curator_cmd, make_version, pairs):
    version = make_version(workspace.path("versions"), pairs)
    result = curator_cmd("-w", str(workspace.root), "train", str(version), "--preset", "huge", timeout=300)
    assert result.returncode == 1
    assert "unknown preset 'huge'" in result.stderr and "Traceback" not in result.stderr
    assert not list(workspace.path("runs").glob("*/run.json")), "a refused plan leaves no run folder"


def test_dpo_settings_errors_are_settings_errors_too():
    from trainer.dpo import dpo_preset

    with pytest.raises(SettingsError, match="unknown preset 'huge'"):
        dpo_preset("huge")
    with pytest.raises(SettingsError, match="unknown DPO setting"):
        dpo_preset("smoke").updated(nonsense=1)
