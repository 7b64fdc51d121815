#!/usr/bin/env bash
# Tape overhead, ours against LibTorch, measured side by side on this machine: builds
# ../shared/peers/libtorch_tape.cpp (needs Debian's libtorch-dev) in a temporary directory,
# then alternates benchmark --only tape and the peer ROUNDS times and prints the medians and the ratios.
#
#   examples/compare_tape.sh [BUILD_DIR] [ROUNDS]      (defaults: build, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
peer_src=$root/../shared/peers/libtorch_tape.cpp
[ -x "$build/examples/benchmark" ] || { echo "build the benchmark first: cmake --build $build --target benchmark" >&2; exit 2; }
[ -f "$peer_src" ] || { echo "peer source not found: $peer_src" >&2; exit 2; }
dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q "install ok installed" ||
  { echo "libtorch-dev is not installed (apt-get install libtorch-dev)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$peer_src" "$work/"
cat > "$work/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(peer_tape CXX)
find_package(Torch REQUIRED)
add_executable(libtorch_tape libtorch_tape.cpp)
target_link_libraries(libtorch_tape ${TORCH_LIBRARIES})
CMAKE
cmake -S "$work" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$work/build" > /dev/null
peer=$work/build/libtorch_tape

results=$work/results.txt
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  "$build/examples/benchmark" --only tape,l1 | sed 's/^/ours /' >> "$results"
  "$peer" 5000 1 | sed 's/^/libtorch /' >> "$results"
  "$peer" 10 1000000 | sed 's/^/libtorch /' >> "$results"
done

# Medians of ns_per_op_fwd_bwd per (framework, bench, elements), and of the L1 timings.
awk '
  function num(key,   m) { if (match($0, "\"" key "\": *[-0-9.eE+]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*: */, "", m); return m + 0 } return "" }
  function str(key,   m) { if (match($0, "\"" key "\": *\"[^\"]*\"")) { m = substr($0, RSTART, RLENGTH); sub(/.*: *"/, "", m); sub(/"$/, "", m); return m } return "" }
  {
    fw = $1; bench = str("bench"); if (bench == "") bench = "tape_chain"
    el = num("elements"); v = num("ns_per_op_fwd_bwd")
    if (v != "") { k = fw " " bench " n=" el; vals[k] = vals[k] " " v }
    u = num("us_fwd_bwd_median"); if (u != "") { k = fw " " bench " " str("variant") " us"; vals[k] = vals[k] " " u }
  }
  function median(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    for (k in vals) med[k] = median(vals[k])
    for (k in med) printf "%-60s %14.1f\n", k, med[k] | "sort"
    close("sort")
    for (n = 1; n <= 1000000; n *= 1000000) {
      o = med["ours tape_chain n=" n]; t = med["libtorch tape_chain n=" n]
      if (o != "" && t != "") printf "ratio ours/libtorch, ns per op, %7d elements: %.3f\n", n, o / t
    }
  }' "$results"
