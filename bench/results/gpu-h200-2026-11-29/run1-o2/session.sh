#!/bin/bash
# One device session: smoke test, then gensor/roller against cuBLAS, top-10 measured per operator.
set -u
REPO="$(pwd)"
RES=/tmp/res; mkdir -p $RES
exec > >(tee $OUT/log.txt) 2>&1
t0=$(date +%s); BUDGET=${BUDGET:-480}; deadline=$((t0 + BUDGET))
el() { echo "=== [$(( $(date +%s) - t0 ))s] $*"; }
left() { echo $(( deadline - $(date +%s) )); }
finish() { el "packing"; tar -C /tmp -czf $OUT/results.tar.gz res; ls -la $OUT; exit 0; }
trap finish EXIT
cd /tmp && tar xf "$REPO/.gpurun/gpu-kit.tar.xz" && cd gpu-kit || exit 1
for d in /usr/local/cuda/bin /usr/local/cuda-13.0/bin; do [ -x $d/ptxas ] && export PATH=$d:$PATH && export CUDA_PATH=${d%/bin} && break; done
el env; cat VERSION.txt; nproc; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem,memory.total --format=csv
python3 -c "import torch;print('torch', torch.__version__, torch.version.cuda, torch.cuda.get_device_name())"
which ptxas && ptxas --version | tail -2
el devices; ./gensor devices
el smoke
timeout 150 ./gensor tune --compute "C[m,n] += A[m,k] * B[k,n]" --shape m=512,n=512,k=512 --device cuda --top-k 3 --format json --records $RES/smoke.jsonl > $RES/smoke.json 2> $RES/smoke.err
rc=$?; echo "smoke rc=$rc"; tail -c 3000 $RES/smoke.err
python3 -c "
import json; d=json.load(open('$RES/smoke.json')); print('best', json.dumps(d.get('best'))[:600]); print('resources', json.dumps(d.get('resources'))[:500]); print('driver', d.get('driver_attributes'))
" 2>&1 | head -20
[ $rc -ne 0 ] && { el "smoke failed: stopping"; exit 0; }
stage() { # name policies suite
  local l=$(left); [ $l -lt 25 ] && { el "skip $1 (no time)"; return; }
  el "stage $1 ($l s left)"
  timeout $l ./bench/run_benchmark.sh --policies $2 --top-k 10 --out-dir $RES/$1 $3 2>&1 | tail -40
}
stage gemm_mid_gensor gensor "$REPO/.gpurun/gemm_mid.json"
stage gemm4096_gensor gensor "$REPO/.gpurun/gemm_4096.json"
stage gpt2_gensor gensor suites/gpt2.json
stage gemm_mid_roller roller "$REPO/.gpurun/gemm_mid.json"
stage gpt2_roller roller suites/gpt2.json
el done
