"""SemScore of an evaluation's answers.jsonl computed on another machine (GPU runs without the embedding model).

    python benchmarks/rescore.py answers.jsonl [more.jsonl ...]

prints per file: pairs, SemScore mean of the base and fine-tuned answers (packaged all-MiniLM-L6-v2, as
`curator eval` uses), the error rates already in the file, and the seconds the scoring took here.
"""

import json
import sys
import time

from trainer.semscore import SemScorer

scorer = SemScorer()
for path in sys.argv[1:]:
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    started = time.perf_counter()
    refs = [r["reference"] for r in rows]
    out = {"file": path, "pairs": len(rows)}
    for side in ("base", "fine_tuned"):
        scores = scorer.scores([r[side]["answer"] for r in rows], refs)
        n = max(1, len(rows))
        out[side] = {"semscore": round(sum(scores) / n, 4),
                     **{kind: round(sum(kind in r[side]["errors"] for r in rows) / n, 4)
                        for kind in ("repetitive", "unfinished", "empty", "too_long")}}
    out["semscore_s_here"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out))
