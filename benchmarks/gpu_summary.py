"""One JSON line from a train manifest and an eval report (benchmarks/gpu_quality.sh)."""

import json
import sys

name, train_file, eval_file, start, trained, done = sys.argv[1:7]
line = {"dataset": name, "train_wall_s": round(float(trained) - float(start), 1),
        "eval_wall_s": round(float(done) - float(trained), 1)}
try:
    run = json.loads(open(train_file, encoding="utf-8").read().strip().splitlines()[-1])
    r = run["results"]
    line.update(train_pairs=run["version"]["train_pairs"], test_pairs_in_version=run["version"]["test_pairs"],
                recipe=run.get("recipe"), data={k: run["data"][k] for k in ("train_examples", "validation_examples")},
                hyper={k: run["hyperparameters"][k] for k in ("epochs", "batch_tokens", "learning_rate", "max_length")},
                steps=r["steps"], total_steps=r["total_steps"], tokens_per_s=r["tokens_per_s"], wall_s=r["wall_s"],
                final_loss=r["final_loss"], compiled=r["compiled_layers"], adapter_step=r.get("adapter_step"),
                validation={k: v for k, v in (r.get("validation") or {}).items() if k != "curve"},
                val_curve=(r.get("validation") or {}).get("curve"), device=run["hardware"].get("device"),
                gpu=run["hardware"].get("gpu"))
except Exception as exc:  # noqa: BLE001
    line["train_error"] = repr(exc)[:300]
try:
    ev = json.loads(open(eval_file, encoding="utf-8").read().strip().splitlines()[-1])
    line.update(test_pairs=ev["test_pairs"], generation=ev["generation"], timings=ev.get("timings"),
                **{side: {"semscore": ev[side]["semscore"].get("mean"), "rouge_l": ev[side]["rouge_l"],
                          "exact_match": ev[side]["exact_match"], "error_rates": ev[side]["error_rates"],
                          "mean_new_tokens": ev[side]["mean_new_tokens"]} for side in ("base", "fine_tuned")})
except Exception as exc:  # noqa: BLE001
    line["eval_error"] = repr(exc)[:300]
print(json.dumps(line))
