#!/usr/bin/env bash
# Build the GPU measurement kit: a self-contained linux-x64 `gensor` (no .NET needed on
# the GPU host), the benchmark scripts and the suites, packed into dist/gpu-kit.tar.xz.
#
# Usage: scripts/package-gpu-kit.sh [--gzip]
#   --gzip   pack dist/gpu-kit.tar.gz with gzip -9 instead of xz -9
#
# The publish is neither single-file nor trimmed: the back end compiles generated C#
# with Roslyn against the runtime's own assemblies, which must exist as files.
set -euo pipefail

LIMIT_MIB=60
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

compress=xz
if [[ "${1:-}" == "--gzip" ]]; then compress=gzip; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kit="$work/gpu-kit"
mkdir -p "$kit/bench" "$kit/suites"

echo "publishing gensor (Release, linux-x64, self-contained, not single-file, not trimmed)..." >&2
# ReadyToRun: every tune call on the GPU host is a cold process, and precompiled
# code halves it (Roslyn's first compilation above all): measured here on a
# 32x32x16 tune, 2.6-3.0 s plain against 1.3-1.4 s ReadyToRun.
# ReadyToRun intermediates are reused between publishes: after a composite experiment
# (PublishReadyToRunComposite) they held component stubs of a composite image this publish
# does not ship, and the kit's gensor aborted at start. Publish from clean ones.
rm -rf src/*/obj/Release/net10.0/linux-x64
dotnet publish src/Gensor.Cli -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=false -p:PublishTrimmed=false -p:PackAsTool=false -p:PublishReadyToRun=true \
  -o "$kit/bin" --nologo -v quiet >&2

# Debug symbols and XML docs are not needed to run.
find "$kit/bin" \( -name '*.pdb' -o -name '*.xml' -o -name '*.dbg' \) -delete
chmod +x "$kit/bin/gensor"
# A kit that cannot start would cost device time to find out: start it here once.
if ! "$kit/bin/gensor" --version >/dev/null 2>&1; then
  echo "error: the published gensor does not start ($kit/bin/gensor --version failed)" >&2
  exit 1
fi
# ./gensor at the kit root: a launcher for bin/gensor (the self-contained apphost).
cat > "$kit/gensor" <<'SH'
#!/bin/sh
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/bin/gensor" "$@"
SH
chmod +x "$kit/gensor"

# Benchmark scripts (without Python caches).
cp -r bench/gpu/. "$kit/bench/"
find "$kit/bench" -name '__pycache__' -prune -exec rm -rf {} +

# Suites: bench/gpu's own plus samples/suites (when present) and the single-op samples.
for f in bench/gpu/*.json samples/suites/*.json; do
  [[ -e "$f" ]] && cp "$f" "$kit/suites/"
done
mkdir -p "$kit/samples"
cp samples/*.json "$kit/samples/" 2>/dev/null || true

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)' || true)"
{
  echo "Gensor GPU kit"
  echo "built:  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $commit$dirty"
  echo "run:    ./bench/run_benchmark.sh suites/NAME.json   (see README, Measuring on a GPU)"
} > "$kit/VERSION.txt"

mkdir -p dist
rm -f dist/gpu-kit.tar.xz dist/gpu-kit.tar.gz
if [[ "$compress" == xz ]]; then
  out=dist/gpu-kit.tar.xz
  echo "packing $out (xz -9)..." >&2
  tar -C "$work" -cf - gpu-kit | xz -9 -T0 > "$out"
else
  out=dist/gpu-kit.tar.gz
  echo "packing $out (gzip -9)..." >&2
  tar -C "$work" -cf - gpu-kit | gzip -9 > "$out"
fi

bytes=$(stat -c %s "$out")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
unpacked=$(du -sm "$kit" | cut -f1)
echo "kit: $out  $mib MiB ($bytes bytes; $unpacked MiB unpacked)"
if (( bytes > LIMIT_MIB * 1048576 )); then
  echo "error: $out is $mib MiB, over the ${LIMIT_MIB} MiB limit (the device transfer allows 64 MiB in all)" >&2
  exit 1
fi
