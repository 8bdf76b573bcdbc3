#!/usr/bin/env bash
# SFT then DPO on the bundled Gemma 3 270M (4-bit QLoRA) on the lent GPU machine, then base / SFT / SFT+DPO
# compared on the test split. Payload (a tar of gemma.gguf, tok/ with a tokenizer converted by
# transformers >= 5.23 (gzipped), and versions/quiz from benchmarks/quality_versions.py) split in pieces
# h0 p0 p1 p2 (sent in earlier calls into /tmp/p20) and p3 p4 (sent with this one under .gpu-prefs20/c/);
# wheels from shared/gpu/prepare-wheels.sh installed into /tmp/site by the first call. SemScore is left
# out there (no embedding model): score the answers here with benchmarks/rescore.py.
set -u
S=benchmarks
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
cat /tmp/p20/h0 /tmp/p20/p0 /tmp/p20/p1 /tmp/p20/p2 .gpu-prefs20/c/p3 .gpu-prefs20/c/p4 > /tmp/p20/pay.tar || exit 2
mkdir -p /tmp/p20/pay && tar xf /tmp/p20/pay.tar -C /tmp/p20/pay && gunzip -f /tmp/p20/pay/tok/tokenizer.json.gz || exit 2
export CURATOR_CACHE=/tmp/p20/cache CURATOR_GEMMA_GGUF=/tmp/p20/pay/gemma.gguf CURATOR_GEMMA_TOKENIZER=/tmp/p20/pay/tok
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee $OUT/log.txt
python3 -c "from trainer.bundled import convert; print(convert())" >> $OUT/log.txt 2>&1 || { tail -20 $OUT/log.txt; exit 3; }
python3 $S/preference_version.py /tmp/p20/pay/versions/quiz /tmp/p20/quiz | tee -a $OUT/log.txt
t0=$(date +%s)
python3 -m trainer train /tmp/p20/quiz --runs /tmp/p20/runs --run-id sft --preset default --max-steps ${SFT_STEPS:-240} \
  --json > $OUT/sft-train.json 2>> $OUT/log.txt || { tail -30 $OUT/log.txt; exit 4; }
t1=$(date +%s)
python3 -m trainer train /tmp/p20/quiz --method dpo --from /tmp/p20/runs/sft --runs /tmp/p20/runs --run-id dpo \
  --preset default --max-steps ${DPO_STEPS:-100} --json > $OUT/dpo-train.json 2>> $OUT/log.txt || { tail -30 $OUT/log.txt; exit 5; }
t2=$(date +%s)
python3 -m trainer eval /tmp/p20/runs/dpo --embedding-model none --json > $OUT/comparison.json 2>> $OUT/log.txt || { tail -30 $OUT/log.txt; exit 6; }
t3=$(date +%s)
echo "{\"sft_wall_s\": $((t1-t0)), \"dpo_wall_s\": $((t2-t1)), \"eval_wall_s\": $((t3-t2))}" | tee $OUT/walls.json
cp /tmp/p20/runs/dpo/eval/answers.jsonl $OUT/dpo-answers.jsonl; cp /tmp/p20/runs/sft/eval/answers.jsonl $OUT/sft-answers.jsonl
cp /tmp/p20/runs/dpo/metrics.jsonl $OUT/dpo-metrics.jsonl
python3 -c "
import json
for n in ('sft', 'dpo'):
    r = json.load(open('$OUT/' + n + '-train.json'))['results']
    print(n, {k: r.get(k) for k in ('steps', 'tokens_per_s', 'peak_memory_gib', 'final_loss', 'final_reward_accuracy', 'wall_s')})
"
