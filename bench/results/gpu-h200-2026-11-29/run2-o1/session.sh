#!/bin/bash
# Second device session: the O1 and bandwidth fixes, fixed schedules that raced at O2, top-10 per operator.
set -u
REPO="$(pwd)"
RES=/tmp/res; mkdir -p $RES
exec > >(tee $OUT/log.txt) 2>&1
t0=$(date +%s); BUDGET=${BUDGET:-285}; deadline=$((t0 + BUDGET))
el() { echo "=== [$(( $(date +%s) - t0 ))s] $*"; }
left() { echo $(( deadline - $(date +%s) )); }
finish() { el "packing"; tar -C /tmp -czf $OUT/results.tar.gz res; ls -la $OUT; exit 0; }
trap finish EXIT
cd /tmp && tar xf "$REPO/.gpurun/gpu-kit.tar.xz" && cd gpu-kit || exit 1
for d in /usr/local/cuda/bin; do [ -x $d/ptxas ] && export PATH=$d:$PATH && export CUDA_PATH=${d%/bin}; done
el env; cat VERSION.txt; ./gensor devices | head -3
G="C[m,n] += A[m,k] * B[k,n]"
i=0
for s in "block=128x16 thread=8x1 vthread=2x1 reduce=32 shared=A vector=4 pad=4" "block=16x128 thread=4x4 vthread=1x2 reduce=8 shared=B vector=1" "block=16x128 thread=16x1 vthread=2x1 reduce=4 shared=- vector=1 rthreads=4"; do
  i=$((i+1)); el "fixed schedule $i: $s"
  timeout 60 ./gensor tune --compute "$G" --shape m=1024,n=1024,k=1024 --device cuda --schedule "$s" --format json > $RES/fixed$i.json 2> $RES/fixed$i.err
  echo "rc=$?"; python3 -c "
import json; d=json.load(open('$RES/fixed$i.json'))
for c in d['candidates']: print(c['schedule']['text'], c.get('verified'), c.get('measured_ms'), c.get('error'))" 2>&1 | tail -3
done
stage() { # name policies suite
  local l=$(left); [ $l -lt 25 ] && { el "skip $1 (no time)"; return; }
  el "stage $1 ($l s left)"
  timeout $l ./bench/run_benchmark.sh --policies $2 --top-k 10 --out-dir $RES/$1 $3 2>&1 | grep -v "^|" | tail -12
}
stage gemm1024_gensor gensor "$REPO/.gpurun/gemm_1024.json"
stage gpt2_gensor gensor suites/gpt2.json
stage gemm1024_roller roller "$REPO/.gpurun/gemm_1024.json"
stage gpt2_roller roller suites/gpt2.json
el done
