#!/usr/bin/env bash
# Measure Gensor against the vendor libraries on a CUDA GPU.
#
# Usage: run_benchmark.sh [options] SUITE.json [SUITE.json ...]
#   --policies LIST   comma-separated construction policies (default naive,roller,gensor)
#   --top-k N         candidates compiled and timed per tune call (default 10)
#   --timeout S       wall-clock limit per tune call in seconds (default 600)
#   --reps N          minimum vendor repetitions (default 20; more until >= 50 ms in total)
#   --check           also check the vendor results against a naive reference
#   --out-dir DIR     where runs go (default results/)
#   --device D        gensor's device (default cuda; cpu only to smoke-test the plumbing:
#                     its times are simulated and the report says so)
#   --shape S         extents for every operator, e.g. m=4096,n=4096,k=4096 (each must name
#                     an index the operator has; other extents stay as the spec says)
#   --dtype T         element type for every operator (f32, f16, bf16): replaces the spec's
#                     "dtype"; its "dtypes" (per tensor) still apply, as with gensor --dtype
#   --allow-tf32      gensor tune --allow-tf32, and PyTorch with allow_tf32 (matrix products)
#   --dry-run         list what would be measured and exit 0 (needs no GPU and no torch)
#
# Inside the unpacked kit it runs the packaged ./gensor (self-contained, no .NET needed);
# from a clone of the repository it builds src/Gensor.Cli (Release) and runs that.
# Each suite gets RUN_DIR = OUT_DIR/<suite>-<UTC time>/ with the suite, one spec per
# operator, one tune report per operator and policy, the tune wall times, the vendor
# times, and report.md / report.json written by report.py. Every measured candidate also goes to
# RUN_DIR/records.jsonl (gensor tune --records), which `gensor calibrate` and `gensor report` read;
# a schedule one policy measured is not measured again for the next.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
policies="naive,roller,gensor"
top_k=10
timeout_s=600
reps=20
check=""
out_dir=""
device=cuda
dry_run=0
shape=""
dtype=""
tf32=""
suites=()
while (( $# )); do
  case "$1" in
    --policies) policies="$2"; shift 2 ;;
    --top-k) top_k="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --check) check="--check"; shift ;;
    --out-dir) out_dir="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --shape) shape="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --allow-tf32) tf32="--allow-tf32"; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; exit 2 ;;
    *) suites+=("$1"); shift ;;
  esac
done
if (( ${#suites[@]} == 0 )); then
  echo "error: give at least one suite (a JSON array of operator specs)" >&2
  exit 2
fi

PY="${PYTHON:-python3}"

# Where is gensor? Kit layout: KIT/gensor (launcher), KIT/bin/gensor, KIT/bench/<this script>.
# Repository layout: ROOT/Gensor.sln, ROOT/bench/gpu/<this script>.
if [[ -x "$here/../gensor" && -x "$here/../bin/gensor" ]]; then
  mode=kit
  root="$(cd "$here/.." && pwd)"
  gensor=("$root/gensor")
elif [[ -f "$here/../../Gensor.sln" ]]; then
  mode=repo
  root="$(cd "$here/../.." && pwd)"
  if (( dry_run )); then
    gensor=(dotnet run --project "$root/src/Gensor.Cli" -c Release --)
  else
    echo "building src/Gensor.Cli (Release)..." >&2
    dotnet build "$root/src/Gensor.Cli" -c Release --nologo -v quiet >&2
    dll="$(find "$root/src/Gensor.Cli/bin/Release" -name gensor.dll | head -n 1)"
    gensor=(dotnet "$dll")
  fi
else
  echo "error: cannot find gensor: run this from the unpacked kit (KIT/bench/run_benchmark.sh) or from the repository (bench/gpu/run_benchmark.sh)" >&2
  exit 2
fi
[[ -z "$out_dir" ]] && out_dir="$root/results"
IFS=',' read -r -a policy_list <<< "$policies"

# The suite as measured: --shape and --dtype applied to every operator. Gensor and the
# vendor baseline both read this file (and the specs split from it), so they measure the
# same extents and element types. Bad overrides: one error line, exit 2.
effective_suite() { # suite out
  "$PY" - "$1" "$2" "$shape" "$dtype" <<'PYEOF'
import json, sys
suite, out, shape, dtype = sys.argv[1:]
data = json.load(open(suite))
if isinstance(data, dict):
    data = [data]
def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)
extents = {}
for part in filter(None, shape.split(",")):
    key, eq, val = part.partition("=")
    if not eq or not key.strip() or not val.strip().isdigit() or int(val) < 1:
        fail(f"--shape wants NAME=EXTENT pairs separated by commas (e.g. m=4096,n=4096), not '{part}'")
    extents[key.strip()] = int(val)
if dtype and dtype not in ("f32", "float32", "f16", "float16", "bf16", "bfloat16"):
    fail(f"--dtype '{dtype}' is not an element type (f32, f16, bf16; or float32, float16, bfloat16)")
for i, op in enumerate(data):
    name = op.get("name", f"op{i}")
    have = op.get("shape", {})
    for key, val in extents.items():
        if key not in have:
            fail(f"--shape names '{key}', which operator {name} has no extent for (it has {', '.join(have) or 'none'})")
        have[key] = val
    if dtype:
        op["dtype"] = dtype
with open(out, "w") as f:
    json.dump(data, f, indent=1)
PYEOF
}

# Split a suite into one spec file per operator; prints "FILE<TAB>NAME" lines.
split_suite() { # suite dest
  "$PY" - "$1" "$2" <<'PYEOF'
import json, os, re, sys
suite, dest = sys.argv[1], sys.argv[2]
data = json.load(open(suite))
if isinstance(data, dict):
    data = [data]
os.makedirs(dest, exist_ok=True)
for i, op in enumerate(data):
    name = op.get("name", f"op{i}")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = os.path.join(dest, f"{i:02d}_{safe}.json")
    spec = {k: v for k, v in op.items() if k != "count"}
    with open(path, "w") as f:
        json.dump(spec, f, indent=1)
    print(f"{path}\t{name}\t{json.dumps(spec, separators=(',', ':'))}")
PYEOF
}

now_ns() { date +%s%N; }

status=0
for suite in "${suites[@]}"; do
  if [[ ! -f "$suite" ]]; then echo "error: no such suite: $suite" >&2; exit 2; fi
  base="$(basename "$suite" .json)"
  if (( dry_run )); then
    tmp="$(mktemp -d)"
    effective_suite "$suite" "$tmp/suite.json" || { rc=$?; rm -rf "$tmp"; exit "$rc"; }
    echo "== $suite (dry run; gensor: ${gensor[*]}; mode: $mode)"
    n=0
    while IFS=$'\t' read -r spec name json; do
      n=$((n + 1))
      echo "  spec  $(basename "$spec"): $json"
      for p in "${policy_list[@]}"; do
        echo "  tune  $name  policy=$p: ${gensor[*]} tune $(basename "$spec") --device $device --format json --top-k $top_k --records RUN_DIR/records.jsonl --policy $p${tf32:+ $tf32}"
      done
    done < <(split_suite "$tmp/suite.json" "$tmp/ops")
    echo "  vendor: $PY $here/vendor_baseline.py RUN_DIR/suite.json --reps $reps${check:+ $check}${tf32:+ $tf32} --out RUN_DIR/vendor.json"
    "$PY" "$here/vendor_baseline.py" --dry-run $tf32 "$tmp/suite.json" | sed 's/^/    /'
    echo "  then: $PY $here/report.py RUN_DIR  ($n operators x ${#policy_list[@]} policies = $((n * ${#policy_list[@]})) tune calls)"
    rm -rf "$tmp"
    continue
  fi

  run_dir="$out_dir/$base-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$run_dir/ops" "$run_dir/tune" "$run_dir/logs"
  effective_suite "$suite" "$run_dir/suite.json" || { rc=$?; rm -rf "$run_dir"; exit "$rc"; }
  gpu="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)"
  "$PY" - "$run_dir/meta.json" "$suite" "$policies" "$top_k" "$mode" "$gpu" "${gensor[*]}" "$device" "$shape" "$dtype" "$tf32" <<'PYEOF'
import json, sys, datetime
out, suite, policies, top_k, mode, gpu, gensor, device, shape, dtype, tf32 = sys.argv[1:]
json.dump({"suite": suite, "policies": policies.split(","), "top_k": int(top_k), "mode": mode, "device": device,
           "gpu": gpu or None, "gensor": gensor, "shape_override": shape or None, "dtype_override": dtype or None,
           "allow_tf32": bool(tf32),
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
          open(out, "w"), indent=1)
PYEOF
  echo "== $suite -> $run_dir" >&2
  "${gensor[@]}" devices > "$run_dir/devices.txt" 2>&1 || true
  while IFS=$'\t' read -r spec name _; do
    stem="$(basename "$spec" .json)"
    for p in "${policy_list[@]}"; do
      mkdir -p "$run_dir/tune/$p"
      t0=$(now_ns)
      set +e
      timeout "$timeout_s" "${gensor[@]}" tune "$spec" --device "$device" --format json --top-k "$top_k" \
        --records "$run_dir/records.jsonl" --policy "$p" $tf32 \
        > "$run_dir/tune/$p/$stem.json" 2> "$run_dir/logs/$p-$stem.err"
      rc=$?
      set -e
      t1=$(now_ns)
      wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
      printf '{"op": "%s", "file": "%s", "policy": "%s", "wall_s": %s, "rc": %d}\n' \
        "$name" "$stem.json" "$p" "$wall" "$rc" >> "$run_dir/walltimes.jsonl"
      echo "  $name  $p: rc=$rc  ${wall}s" >&2
      (( rc != 0 )) && status=1
    done
  done < <(split_suite "$run_dir/suite.json" "$run_dir/ops")
  echo "  vendor baseline..." >&2
  "$PY" "$here/vendor_baseline.py" "$run_dir/suite.json" --reps "$reps" $check $tf32 --out "$run_dir/vendor.json" \
    2> "$run_dir/logs/vendor.err" || { echo "  vendor baseline failed (see $run_dir/logs/vendor.err)" >&2; status=1; }
  "$PY" "$here/report.py" "$run_dir"
done
exit $status
