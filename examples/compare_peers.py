#!/usr/bin/python3
"""Our benchmark beside the PyTorch and LibTorch references, alternating, one thread each.

  examples/compare_peers.py --peers DIR [--build build] [--rounds 3] [--mnist-epochs 3] [--data DIR]
                            [--only mnist,moons,tape,cnn] [--json results.json]

--peers names the folder of PyTorch/LibTorch reference programs (torch_seeds.py, libtorch_moons.cpp,
libtorch_tape.cpp, moons_csv.py), which are not part of this repository.

Runs, ROUNDS times in turn: `benchmark --only mnist` (also with --dense-input: pixels without
zeros) and PEERS/torch_seeds.py mnist --l1 0.001 (the seed MNIST MLP with L1, Debian
python3-torch); `benchmark --only moons` and
libtorch_moons.cpp (2000 epochs); `benchmark --only tape` and libtorch_tape.cpp (tiny and 1M
elements); `benchmark --only cnn` and examples/torch_cnn.py when the cnn section exists. Each run
is its own process, so its peak RSS (wait4's ru_maxrss) is its own. The LibTorch peers are built
with CMake in a temporary directory (needs Debian libtorch-dev); the moons points come from
moons_csv.py. Prints the medians, the ratios ours/peer and a Markdown table for the README.

Needs Debian's /usr/bin/python3 (it has torch and numpy) and a built `benchmark` target. The
environment is passed on unchanged, so OPENBLAS_CORETYPE and the like apply to both sides.
"""
import argparse, datetime, json, os, platform, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = ""  # --peers
PYTHON = "/usr/bin/python3"


def run_measured(cmd, cwd=None):
    """Runs cmd to completion; returns (JSON objects printed on stdout, peak RSS of the process in MB)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(f"compare_peers: {' '.join(cmd)} failed with exit status {proc.returncode}:\n{stderr[-3000:]}")
    objects = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            objects.append(json.loads(line))
    return objects, usage.ru_maxrss / 1024.0


def build_libtorch_peers(work):
    if shutil.which("cmake") is None:
        sys.exit("compare_peers: cmake not found")
    probe = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "libtorch-dev"], capture_output=True, text=True)
    if "install ok installed" not in probe.stdout:
        sys.exit("compare_peers: libtorch-dev is not installed (apt-get install libtorch-dev)")
    for name in ("libtorch_moons.cpp", "libtorch_tape.cpp"):
        shutil.copy(os.path.join(PEERS, name), work)
    with open(os.path.join(work, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.20)\nproject(peers CXX)\nfind_package(Torch REQUIRED)\n"
                "foreach(p libtorch_moons libtorch_tape)\n  add_executable(${p} ${p}.cpp)\n"
                "  target_link_libraries(${p} ${TORCH_LIBRARIES})\nendforeach()\n")
    build = os.path.join(work, "build")
    for cmd in (["cmake", "-S", work, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"],
                ["cmake", "--build", build]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"compare_peers: building the LibTorch peers failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    moons_csv = os.path.join(work, "moons.csv")
    with open(moons_csv, "w") as f:
        subprocess.run([PYTHON, os.path.join(PEERS, "moons_csv.py")], stdout=f, check=True)
    return os.path.join(build, "libtorch_moons"), os.path.join(build, "libtorch_tape"), moons_csv


def steady(epoch_seconds):
    """Median epoch time without the first (warm-up) epoch, as benchmark.cpp reports it."""
    rest = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    return statistics.median(rest)


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", required=True, help="the reference programs' folder (outside this repository)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mnist-epochs", type=int, default=3)
    ap.add_argument("--cnn-epochs", type=int, default=2)
    ap.add_argument("--data", default="", help="data directory (default: BUILD/data)")
    ap.add_argument("--only", default="mnist,moons,tape,cnn")
    ap.add_argument("--json", default="", help="also write every raw result here")
    a = ap.parse_args()
    global PEERS
    PEERS = os.path.abspath(a.peers)
    if not os.path.exists(os.path.join(PEERS, "torch_seeds.py")):
        sys.exit(f"compare_peers: {PEERS} has no torch_seeds.py; --peers must name the reference programs' folder")
    sections = set(a.only.split(","))
    unknown = sections - {"mnist", "moons", "tape", "cnn"}
    if unknown:
        sys.exit(f"compare_peers: unknown sections {sorted(unknown)} (mnist, moons, tape, cnn)")
    bench = os.path.join(a.build, "examples", "benchmark")
    if not os.access(bench, os.X_OK):
        sys.exit(f"compare_peers: {bench} not found; build it: cmake --build {a.build} --target benchmark")
    data = a.data or os.path.join(a.build, "data")
    mnist_dir = os.path.join(data, "mnist")
    if sections & {"mnist", "cnn"} and not os.path.exists(os.path.join(mnist_dir, "train-images-idx3-ubyte")) \
            and not os.path.exists(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz")):
        sys.exit(f"compare_peers: MNIST not found in {mnist_dir}; run: cmake --build {a.build} --target fetch-data")
    cnn_peer = os.path.join(ROOT, "examples", "torch_cnn.py")
    if "cnn" in sections and not os.path.exists(cnn_peer):
        sections.discard("cnn")

    raw = {"ours": [], "peers": []}
    results = {}  # name -> list of values per round
    add = lambda key, value: results.setdefault(key, []).append(value)

    with tempfile.TemporaryDirectory() as work:
        moons_bin = tape_bin = moons_csv = None
        if sections & {"moons", "tape"}:
            print("building the LibTorch peers ...", file=sys.stderr)
            moons_bin, tape_bin, moons_csv = build_libtorch_peers(work)
        config, _ = run_measured([bench, "--only", "sgemm"])
        roofline = {o["case"]: o for o in config if o.get("bench") == "sgemm"}
        blas = next(o for o in config if o.get("bench") == "config")
        for r in range(a.rounds):
            print(f"round {r + 1}/{a.rounds}", file=sys.stderr)
            if "mnist" in sections:
                ours, rss = run_measured([bench, "--only", "mnist", "--mnist-epochs", str(a.mnist_epochs), "--data", data])
                m = next(o for o in ours if o.get("bench") == "mnist_l1")
                raw["ours"].append(m)
                add("mnist_ours_s", m["seconds_per_epoch"])
                add("mnist_ours_gflops", m["gflops"])
                add("mnist_ours_rss", rss)
                add("mnist_ours_rss_growth", max(m["rss_mb_per_epoch"]) - min(m["rss_mb_per_epoch"]))
                ours, _ = run_measured([bench, "--only", "mnist", "--mnist-epochs", str(a.mnist_epochs), "--dense-input"])
                m = next(o for o in ours if o.get("bench") == "mnist_l1")
                raw["ours"].append(m)
                add("mnist_dense_ours_s", m["seconds_per_epoch"])
                theirs, rss = run_measured([PYTHON, os.path.join(PEERS, "torch_seeds.py"), "mnist", "--data", mnist_dir,
                                            "--l1", "0.001", "--epochs", str(a.mnist_epochs), "--threads", "1"])
                epochs = [o["seconds"] for o in theirs if "epoch" in o]
                raw["peers"].append(theirs[-1])
                add("mnist_torch_s", steady(epochs))
                add("mnist_torch_rss", rss)
            if "moons" in sections:
                ours, _ = run_measured([bench, "--only", "moons"])
                m = next(o for o in ours if o.get("bench") == "moons")
                raw["ours"].append(m)
                add("moons_ours_s", m["train_seconds"])
                theirs, _ = run_measured([moons_bin, moons_csv])
                raw["peers"].append(theirs[-1])
                add("moons_libtorch_s", theirs[-1]["train_seconds"])
            if "tape" in sections:
                ours, _ = run_measured([bench, "--only", "tape"])
                for o in ours:
                    if o.get("bench") == "tape_chain":
                        raw["ours"].append(o)
                        add(f"tape_ours_ns_{o['elements']}", o["ns_per_op_fwd_bwd"])
                for reps, n in ((5000, 1), (10, 1000000)):
                    theirs, _ = run_measured([tape_bin, str(reps), str(n)])
                    raw["peers"].append(theirs[-1])
                    add(f"tape_libtorch_ns_{n}", theirs[-1]["ns_per_op_fwd_bwd"])
            if "cnn" in sections:
                ours, rss = run_measured([bench, "--only", "cnn", "--cnn-epochs", str(a.cnn_epochs), "--data", data])
                m = next(o for o in ours if o.get("bench") == "cnn")
                raw["ours"].append(m)
                add("cnn_ours_s", m["seconds_per_epoch"])
                theirs, _ = run_measured([PYTHON, cnn_peer, "--data", mnist_dir, "--epochs", str(a.cnn_epochs),
                                          "--threads", "1"])
                raw["peers"].append(theirs[-1])
                add("cnn_torch_s", theirs[-1]["seconds_per_epoch"])

    med = {k: statistics.median(v) for k, v in results.items()}
    date = datetime.date.today().isoformat()
    print(json.dumps({"medians": med, "rounds": a.rounds}, indent=1))
    rows = []

    def row(what, ours, peer, unit, target, fmt="{:.3f}", absolute=False):
        """target: the most ours/peer may be, or with absolute=True the most ours may be (in unit)."""
        ratio = ours / peer
        measure, goal = (ours, f"<= {fmt.format(target)} {unit}") if absolute else (ratio, f"<= {target}x")
        verdict = "met" if measure <= target else f"not met ({measure / target:.2f}x the target)"
        rows.append(f"| {what} | {fmt.format(ours)} {unit} | {fmt.format(peer)} {unit} | {ratio:.2f} | {goal} | {verdict} |")

    if "mnist" in sections:
        row("MNIST MLP + L1, s/epoch (PyTorch)", med["mnist_ours_s"], med["mnist_torch_s"], "s", 0.6)
        row("same, inputs without zeros (PyTorch on MNIST)", med["mnist_dense_ours_s"], med["mnist_torch_s"], "s", 0.6)
        row("MNIST training, peak RSS (PyTorch)", med["mnist_ours_rss"], med["mnist_torch_rss"], "MB", 1.0, "{:.0f}")
    if "moons" in sections:
        row("moons, 2000 epochs (LibTorch)", med["moons_ours_s"], med["moons_libtorch_s"], "s", 0.2)
    if "tape" in sections:
        row("tape, ns/op, 1 element (LibTorch)", med["tape_ours_ns_1"], med["tape_libtorch_ns_1"], "ns", 1000, "{:.0f}",
            absolute=True)
        row("tape, ns/op, 1M elements (LibTorch)", med["tape_ours_ns_1000000"], med["tape_libtorch_ns_1000000"], "ns",
            1.0, "{:.0f}")
    if "cnn" in sections:
        row("MNIST CNN, s/epoch (PyTorch)", med["cnn_ours_s"], med["cnn_torch_s"], "s", 1.0)

    print()
    print(f"{date}, {machine()}; OpenBLAS kernels {blas['blas_kernels']}, {blas['blas_threads']} BLAS thread; "
          f"medians of {a.rounds} alternating rounds.")
    print()
    print("| workload (peer) | ours | peer | ours/peer | target | |")
    print("|---|---|---|---|---|---|")
    for line in rows:
        print(line)
    if "mnist" in sections:
        gf = med["mnist_ours_gflops"]
        print(f"\nMNIST: {gf:.0f} GFLOP/s of dense-equivalent work (114 GFLOP per epoch); BLAS sgemm roofline on the "
              f"MNIST layer shapes: {roofline['mnist_dense1_forward']['gflops']:.0f} GFLOP/s "
              f"({roofline['square_1024']['gflops']:.0f} at 1024^3); RSS growth across epochs "
              f"{med['mnist_ours_rss_growth']:.1f} MB.")
    if "moons" in sections:
        print(f"moons: one 32x128x128 sgemm takes {roofline['moons_dense2_forward']['us_per_call']:.1f} us here.")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": date, "machine": machine(), "blas": blas, "roofline": roofline, "results": results,
                       "raw": raw}, f, indent=1)


if __name__ == "__main__":
    main()
