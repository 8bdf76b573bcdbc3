"""The `curator train --gpus N` checks on a GPU machine whose image cannot import curator's CLI.

curator's CLI imports polars, connectorx and trafilatura, which the lent GPU image lacks, so this runs
the two functions of curator/cli/training.py that decide a multi-GPU launch, from that file's own
source: the refusal of more GPUs than CUDA shows, and the `accelerate launch` command a run gets.
    python benchmarks/gpu_launcher_check.py curator/cli/training.py
"""

import __future__

import ast
import os
import sys
from typing import Any

source_file = sys.argv[1]
tree = ast.parse(open(source_file, encoding="utf-8").read())
names: dict[str, Any] = {"os": os, "sys": sys, "Any": Any, "CuratorError": RuntimeError}
wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("_check_gpus", "_launcher")]
exec(compile(ast.Module(body=wanted, type_ignores=[]), source_file, "exec",
             flags=__future__.annotations.compiler_flag), names)
import torch  # noqa: E402

print(f"CUDA devices visible: {torch.cuda.device_count()}"
      + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""))
for gpus in (1, 2):
    try:
        names["_check_gpus"](gpus)
        print(f"curator train --gpus {gpus}: accepted")
    except RuntimeError as exc:
        print(f"curator train --gpus {gpus}: refused before anything starts: {exc}")
command, _ = names["_launcher"](2, print)
print("the launch a 2-GPU machine would get:", " ".join(command[1:]))
