#!/usr/bin/env bash
# Quality and speed run on the lent GPU machine (device tool), from the repository root there.
# Needs: .whl/ (shared/gpu/prepare-wheels.sh), the payload pieces already in /tmp/t19 (tar of the
# bundled GGUF, a tokenizer converted with transformers >= 5.23, the fp16 MiniLM and the version
# folders of benchmarks/quality_versions.py), and this code under CODE (default .gpu-train19/code).
# Trains each version with the default preset, evaluates it (default generation, 128 new tokens),
# and appends one JSON line per dataset to $OUT/results.jsonl.
set -u
CODE=${CODE:-$PWD/.gpu-train19/code}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || exit 1
export PYTHONPATH=/tmp/site:$CODE PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
if [ ! -d /tmp/t19/pay/versions ]; then  # pieces p00-p03 came in earlier calls, p04 comes with this one
  mkdir -p /tmp/t19/pay && cat /tmp/t19/p0[0-3] "$CODE/p04" | tar xf - -C /tmp/t19/pay || exit 1
  gunzip -f /tmp/t19/pay/tok/tokenizer.json.gz
fi
[ -f /tmp/t19/minilm.tar ] && [ ! -d /tmp/t19/pay/minilm ] && tar xf /tmp/t19/minilm.tar -C /tmp/t19/pay
EMBED=none  # without the embedding model here, SemScore is computed afterwards from answers.jsonl
[ -d /tmp/t19/pay/minilm ] && EMBED=/tmp/t19/pay/minilm
export CURATOR_CACHE=/tmp/t19/cache CURATOR_GEMMA_GGUF=/tmp/t19/pay/gemma.gguf CURATOR_GEMMA_TOKENIZER=/tmp/t19/pay/tok
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee -a "$OUT/log.txt"
python3 -c "from trainer.bundled import convert; print(convert())" >> "$OUT/log.txt" 2>&1 || exit 1
for d in ${DATASETS:-quiz jargon foldoc}; do
  start=$(date +%s.%N)
  python3 -m trainer train /tmp/t19/pay/versions/$d --runs /tmp/t19/runs --run-id $d --preset default --json \
    > /tmp/t19/$d-train.json 2>> "$OUT/log.txt"
  trained=$(date +%s.%N)
  python3 -m trainer eval /tmp/t19/runs/$d --embedding-model $EMBED --json ${EVAL_ARGS:-} \
    > /tmp/t19/$d-eval.json 2>> "$OUT/log.txt"
  done_at=$(date +%s.%N)
  python3 "$CODE/benchmarks/gpu_summary.py" "$d" /tmp/t19/$d-train.json /tmp/t19/$d-eval.json \
    "$start" "$trained" "$done_at" >> "$OUT/results.jsonl"
  [ "$EMBED" = none ] && cp /tmp/t19/runs/$d/eval/answers.jsonl "$OUT/$d-answers.jsonl"
  [ "$EMBED" != none ] && head -c 20000 /tmp/t19/runs/$d/eval/answers.jsonl > "$OUT/$d-answers-head.jsonl"
done
cp /tmp/t19/runs/foldoc/loss.png "$OUT/foldoc-loss.png" 2>/dev/null
true
