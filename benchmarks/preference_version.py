"""A version folder with preference records, for the SFT -> DPO benchmark (benchmarks/gpu_dpo.sh).

    python benchmarks/preference_version.py VERSION_DIR OUT_DIR

Copies a version made by benchmarks/quality_versions.py (real public data, e.g. the bsdgames quiz tables)
and adds preferences.parquet in the layout `version create` writes. The corrections are simulated, and
labelled so: for each pair, the rejected answer is the answer of the next pair made by the same template
(a wrong answer of the right kind, which a reviewer would correct); each record keeps its pair's split, so
no test prompt is in training. Real review sessions make these records with `curator version create`.
"""
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)
rows = pq.read_table(dst / "data.parquet").to_pylist()
by_kind = {}
for r in rows:
    by_kind.setdefault(r.get("template") or r.get("origin"), []).append(r)
out = []
for group in by_kind.values():
    for i, r in enumerate(group):
        for j in range(1, len(group)):
            other = group[(i + j) % len(group)]
            if other["answer"].strip().lower() != r["answer"].strip().lower():
                break
        else:
            continue
        out.append({"kind": "edit", "prompt": r["question"], "chosen": r["answer"], "rejected": other["answer"],
                    "chosen_pair_id": r["pair_id"], "rejected_pair_id": other["pair_id"],
                    "chosen_lineage_id": r["lineage_id"], "rejected_lineage_id": r["lineage_id"],
                    "reviewer": "simulated", "reason": None, "decided_at": "2026-12-08T00:00:00Z",
                    "review_id": len(out) + 1, "chunk_id": r.get("chunk_id"), "language": r.get("language"),
                    "split": r["split"]})
pq.write_table(pa.Table.from_pylist(out), dst / "preferences.parquet")
print({"records": len(out), "train": sum(o["split"] == "train" for o in out)})
