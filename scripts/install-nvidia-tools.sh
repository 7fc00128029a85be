#!/usr/bin/env bash
# Install NVIDIA's offline tools (ptxas, cuobjdump, nvdisasm) into .tools/cuda/bin,
# a git-ignored folder of the project, from Debian bookworm's non-free package
# `nvidia-cuda-toolkit` (CUDA 11.8). Gensor uses them to assemble the PTX it emits
# and read back registers, spills, shared memory and the SASS instruction mix
# (`gensor emit --lang sass`, the `resources` block of launch.json and the reports).
#
# Usage: scripts/install-nvidia-tools.sh [--if-needed] [--force]
#   --if-needed  do nothing when a CUDA toolkit's ptxas is already on the machine
#                (CUDA_PATH or PATH): Gensor uses that one (the test build calls this)
#   --force      download and unpack again even when .tools/cuda/bin is complete
#
# The system's apt setup is left as it was: apt runs with a private configuration
# (its own sources list naming `main contrib non-free`, its own package lists and
# cache in a temporary folder, no /etc/apt/sources.list.d), and `apt-get download`
# only fetches the .deb, which `dpkg -x` unpacks into the temporary folder; nothing
# is installed system-wide and no root is needed. apt checks the archive's signature
# and the package's hash as for any install.
# Environment: GENSOR_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/cuda/bin"
tools=(ptxas cuobjdump nvdisasm)
mirror="${GENSOR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if_needed=false
force=false
for arg in "$@"; do
    case "$arg" in
        --if-needed) if_needed=true ;;
        --force) force=true ;;
        *) echo "error: unknown option '$arg' (expected --if-needed or --force)" >&2; exit 2 ;;
    esac
done

complete() {
    local tool
    for tool in "${tools[@]}"; do
        [[ -x "$dest/$tool" ]] || return 1
    done
}

if ! $force && complete; then
    echo "NVIDIA tools present: $dest ($("$dest/ptxas" --version | tail -1))" >&2
    exit 0
fi
if $if_needed && ! $force; then
    if [[ -n "${CUDA_PATH:-}" && -x "$CUDA_PATH/bin/ptxas" && -x "$CUDA_PATH/bin/nvdisasm" ]]; then
        echo "NVIDIA tools: using the CUDA toolkit at CUDA_PATH=$CUDA_PATH" >&2
        exit 0
    fi
    if command -v ptxas >/dev/null 2>&1 && command -v cuobjdump >/dev/null 2>&1 && command -v nvdisasm >/dev/null 2>&1; then
        echo "NVIDIA tools: using $(command -v ptxas) on PATH" >&2
        exit 0
    fi
fi
for command in apt-get dpkg; do
    if ! command -v "$command" >/dev/null 2>&1; then
        echo "error: $command is required to fetch Debian's nvidia-cuda-toolkit; on another system install a CUDA toolkit and set CUDA_PATH" >&2
        exit 1
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb" "$work/root"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""
[[ -r "$keyring" ]] && signed="[signed-by=$keyring] "
echo "deb ${signed}$mirror bookworm main contrib non-free" > "$work/sources.list"
apt_options=(
    -o "Dir::Etc::SourceList=$work/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o "Debug::NoLocking=true"
    # The downloads land in our private folder, which apt's unprivileged _apt user cannot reach.
    -o "APT::Sandbox::User=$(id -un)"
    -o "Acquire::Languages=none"
)

echo "fetching Debian bookworm's package index (private apt configuration, $mirror)..." >&2
apt-get "${apt_options[@]}" -q update >&2
echo "downloading nvidia-cuda-toolkit (about 84 MB)..." >&2
(cd "$work/deb" && apt-get "${apt_options[@]}" -q download nvidia-cuda-toolkit >&2)
deb=$(ls "$work"/deb/nvidia-cuda-toolkit_*.deb)
dpkg -x "$deb" "$work/root"

mkdir -p "$dest"
for tool in "${tools[@]}"; do
    # The package keeps the real binaries under /usr/lib/nvidia-cuda-toolkit/bin (its /usr/bin holds wrappers).
    found=$(find "$work/root" -type f -name "$tool" -perm -u+x | sort | head -1)
    if [[ -z "$found" ]]; then
        echo "error: $tool is not in $(basename "$deb")" >&2
        exit 1
    fi
    install -m 0755 "$found" "$dest/$tool.tmp"
    mv -f "$dest/$tool.tmp" "$dest/$tool"
done
echo "$(basename "$deb")" > "$dest/../SOURCE"
echo "installed ${tools[*]} into $dest ($("$dest/ptxas" --version | tail -1))" >&2
