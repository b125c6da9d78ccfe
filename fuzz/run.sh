#!/usr/bin/env bash
# Fuzzes one target with afl++ through SharpFuzz: builds the driver into fuzz/.build, instruments the assemblies that
# parse the target's input, and runs afl-fuzz for the given minutes on fuzz/corpus/TARGET.
# Findings land in fuzz/findings/TARGET (crashes/, hangs/); replay one with
#   dotnet fuzz/.build/bin/fedllm-fuzz.dll TARGET fuzz/findings/TARGET/default/crashes
# Needs Debian's afl++ (apt-get install afl++) and the SharpFuzz tool this folder's manifest pins (dotnet tool restore).
set -euo pipefail

usage() { echo "usage: fuzz/run.sh TARGET MINUTES   (targets: safetensors tokenizer vectors config dataset)" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
target=$1 minutes=$2
[[ $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || usage

# The assemblies whose branches guide afl for each target: our parser and the library it builds on, if any.
case $target in
  safetensors) assemblies=(FedLlm.Models.dll) ;;
  tokenizer) assemblies=(FedLlm.Tokenization.dll) ;;
  vectors) assemblies=(FedLlm.Transport.dll Google.Protobuf.dll) ;;
  config) assemblies=(fedllm.dll FedLlm.Federation.dll YamlDotNet.dll) ;;
  dataset) assemblies=(FedLlm.Data.dll) ;;
  *) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
build=$here/.build/bin bin=$here/.build/$target
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }

# FUZZ_SKIP_BUILD=1 reuses the last build (several targets fuzzed from one build while the source changes).
if [[ ${FUZZ_SKIP_BUILD:-0} != 1 || ! -f $build/fedllm-fuzz.dll ]]; then
  dotnet build "$here/FedLlm.Fuzz/FedLlm.Fuzz.csproj" -c Release -o "$build" -v quiet -nologo
fi
# A copy per target: instrumentation rewrites the assemblies in place.
rm -rf "$bin"
cp -r "$build" "$bin"
(cd "$here" && dotnet tool restore >/dev/null)
for assembly in "${assemblies[@]}"; do
  (cd "$here" && dotnet sharpfuzz "$bin/$assembly")
done

# afl-fuzz starts dotnet, not an instrumented binary (SharpFuzz reports coverage from managed code); no CPU pinning on
# a shared machine; a 1 GiB managed heap turns a runaway allocation into a crash instead of swapping the machine.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export DOTNET_GCHeapHardLimit=0x40000000 DOTNET_TieredPGO=0
scratch_root=$(mktemp -d "$([[ -d /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/fedllm-fuzz-$target.XXXXXX")
trap 'rm -rf "$scratch_root"' EXIT
export FEDLLM_FUZZ_SCRATCH=$scratch_root
findings=$here/findings/$target
mkdir -p "$findings"
# Text formats get a dictionary of their keywords and edge numbers (afl's own mutations are binary-minded).
dictionary=()
[[ -f $here/dictionaries/$target.dict ]] && dictionary=(-x "$here/dictionaries/$target.dict")
afl-fuzz -i "$here/corpus/$target" -o "$findings" "${dictionary[@]}" -t 5000 -m none -V $((minutes * 60)) \
  -- dotnet "$bin/fedllm-fuzz.dll" "$target"
