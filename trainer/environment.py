"""What a run manifest records about where it ran: time, code version, hardware, peak memory."""

from __future__ import annotations

import datetime as dt
import platform
import resource
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

PACKAGES = ("torch", "transformers", "peft", "accelerate", "bitsandbytes", "trl")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def code_version() -> dict[str, Any]:
    """The installed curator version and, from a source checkout, its git commit and whether it had edits."""
    source = Path(__file__).resolve().parent.parent
    info: dict[str, Any] = {"curator": _version("curator"), "python": sys.version.split()[0],
                            "packages": {name: _version(name) for name in PACKAGES}}
    if (source / ".git").exists():
        try:
            head = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True,
                                  timeout=10, check=False)
            dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "trainer"],
                                   capture_output=True, text=True, timeout=10, check=False)
            if head.returncode == 0:
                info["git_commit"] = head.stdout.strip()
                info["trainer_modified"] = bool(dirty.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    return info


def hardware(accelerator: Any = None) -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "cpu_count": torch.get_num_threads(),
                            "processes": getattr(accelerator, "num_processes", 1)}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update({"device": f"cuda ({torch.cuda.get_device_name(0)})", "gpu": torch.cuda.get_device_name(0),
                     "gpu_count": torch.cuda.device_count(), "gpu_memory_gib": round(props.total_memory / 2**30, 1),
                     "cuda": torch.version.cuda})
    else:
        info["device"] = "cpu"
    if info["processes"] > 1:  # nccl on GPUs; gloo when CPU processes test the data-parallel path
        info["backend"] = accelerator.state.backend
    return info


def peak_rss_gib() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)
