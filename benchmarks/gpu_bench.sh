#!/usr/bin/env bash
# Throughput (benchmarks/train_gpu.py: curator's QLoRA path against TRL's three batchings) and the
# --gpus checks of issue 21, on the GPU machine after benchmarks/gpu_quality.sh (wheels in /tmp/site).
set -u
CODE=${CODE:-$PWD/.gpu-train19/code}
[ -d /tmp/site/trl ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$CODE PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
export CURATOR_CACHE=/tmp/t19/cache CURATOR_GEMMA_GGUF=/tmp/t19/pay/gemma.gguf CURATOR_GEMMA_TOKENIZER=/tmp/t19/pay/tok
{
  echo "== curator train --gpus 1 (in-process, as the CLI runs it): smoke preset, 20 steps, quiz version"
  python3 -m trainer train /tmp/t19/pay/versions/quiz --runs /tmp/t19/runs21 --run-id gpus1 --preset smoke \
    --max-steps 20 2>&1 | grep -v "it/s\]" | tail -4
  echo "== --gpus checks"
  python3 "$CODE/benchmarks/gpu_launcher_check.py" "$CODE/curator_cli_training.py" 2>&1 | tail -5
} > "$OUT/issue21.txt" 2>&1
python3 "$CODE/benchmarks/train_gpu.py" --steps ${STEPS:-40} \
  --variants ${VARIANTS:-ours,ours_eager,trl_packed,trl_bs32,trl_padded,trl_bfd} 2>&1 \
  | grep -v "it/s\]\|Warning\|warn(" | tee "$OUT/bench.jsonl" | tail -20
