#!/usr/bin/env bash
# What it costs a user to compile a program against tapeflow, beside LibTorch: wall time, CPU
# time and peak memory (/usr/bin/time) of one `g++ -O2` compile-and-link of
# tests/consumer/moons_app.cpp (tapeflow, through tapeflow.pc) and of a LibTorch program of the
# same kind (libtorch-dev; the moons peer, libtorch_moons.cpp, lives outside this repository),
# alternating, ROUNDS rounds. Prints one line per compile and the medians.
#   examples/compile_cost.sh PREFIX LIBTORCH_PROGRAM.cpp [ROUNDS]
# PREFIX is where tapeflow is installed (cmake --install build --prefix PREFIX).
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
prefix=$(realpath "$1") peer=$(realpath "$2") rounds=${3:-3}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name tapeflow.pc | head -1)")

measure() {  # label, command...: appends "label wall_s cpu_s peak_MB" to $out/results
  local label=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$out/t" "$@"
  read -r wall user sys kb < "$out/t"
  echo "$label $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $((kb / 1024))" | tee -a "$out/results"
}

for ((r = 1; r <= rounds; ++r)); do
  # Word splitting of pkg-config's output is intended.
  # shellcheck disable=SC2046
  measure tapeflow g++ -O2 tests/consumer/moons_app.cpp -o "$out/tapeflow_app" \
    -DTAPEFLOW_EXPECTED_VERSION="\"$(pkg-config --modversion tapeflow)\"" $(pkg-config --cflags --libs tapeflow)
  measure libtorch g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -isystem /usr/include/torch/csrc/api/include \
    "$peer" -o "$out/libtorch_app" -ltorch -ltorch_cpu -lc10
done
echo "median over $rounds rounds: label wall_s cpu_s peak_MB"
for label in tapeflow libtorch; do
  for col in 2 3 4; do
    grep "^$label " "$out/results" | cut -d' ' -f$col | sort -g | awk '{v[NR]=$1} END {printf "%s ", v[int((NR+1)/2)]}'
  done | sed "s/^/$label /"
  echo
done
