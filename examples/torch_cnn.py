#!/usr/bin/python3
"""PyTorch (CPU, eager) peer of the cnn_regularization model, set up the way Keras trains it.

  /usr/bin/python3 examples/torch_cnn.py --data DIR/mnist [--epochs 10] [--threads 1] [--reg none|l1|l2]

The model is cnn_regularization's: Conv2D(32, 3x3, relu) - MaxPool(2) - Conv2D(64, 3x3, relu) -
MaxPool(2) - Flatten - Dense(10, softmax), on 28x28x1 images read from the IDX files that
`cmake --build build --target fetch-data` puts in DIR (plain or gzip). Keras conventions:
glorot-uniform kernels, zero biases, Adam(lr 1e-3, eps 1e-7), cross-entropy, batch 128, the
LAST 10% of the training rows held out for validation before any shuffling, the penalty
lam * sum|W| (l1) or lam * sum W^2 (l2) over every kernel added to each batch's mean loss.

One thread by default (torch.set_num_threads(1)), like tapeflow's BLAS default. Prints one
JSON line per epoch (unless --quiet) and a final JSON summary with "seconds_per_epoch" (the
median over epochs of training plus validation time; the first epoch is reported apart).
"""
import argparse
import gzip
import json
import statistics
import struct
import time

import numpy as np
import torch


def load_idx(path):
    """An IDX file as a numpy array; gzip is recognized by its magic bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rank = raw[3]
    shape = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def find_idx(directory, stem):
    for name in (stem, stem + ".gz"):
        try:
            return load_idx(f"{directory}/{name}")
        except FileNotFoundError:
            pass
    raise SystemExit(f"torch_cnn.py: {directory}/{stem}[.gz] not found (cmake --build build --target fetch-data)")


def glorot(layer):
    torch.nn.init.xavier_uniform_(layer.weight)  # PyTorch's fans for conv weights match Keras's
    torch.nn.init.zeros_(layer.bias)
    return layer


def build_model():
    c1 = glorot(torch.nn.Conv2d(1, 32, 3))
    c2 = glorot(torch.nn.Conv2d(32, 64, 3))
    fc = glorot(torch.nn.Linear(5 * 5 * 64, 10))
    net = torch.nn.Sequential(c1, torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              c2, torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), fc)
    return net, [c1, c2, fc]


def penalty(kernels, reg, lam):
    if reg == "l1":
        return lam * sum(k.weight.abs().sum() for k in kernels)
    if reg == "l2":
        return lam * sum((k.weight * k.weight).sum() for k in kernels)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="directory with the MNIST or Fashion-MNIST IDX files")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reg", choices=["none", "l1", "l2"], default="none")
    ap.add_argument("--lam", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    def images(stem):  # NCHW float in [0, 1]
        x = find_idx(a.data, stem).astype(np.float32) / 255
        return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy())

    def labels(stem):
        return torch.from_numpy(find_idx(a.data, stem).astype(np.int64))

    x_all, y_all = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    x_test, y_test = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    cut = int(len(x_all) * 0.9)
    x, y, xv, yv = x_all[:cut], y_all[:cut], x_all[cut:], y_all[cut:]

    model, kernels = build_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    ce = torch.nn.functional.cross_entropy
    batch, n, history = 128, len(x), []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        total = 0.0
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            loss = ce(model(x[rows]), y[rows])
            p = penalty(kernels, a.reg, a.lam)
            if p is not None:
                loss = loss + p
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        model.eval()
        with torch.no_grad():  # validation in batches, as Keras evaluates it
            val_loss, val_correct = 0.0, 0
            for start in range(0, len(xv), batch):
                out = model(xv[start:start + batch])
                val_loss += ce(out, yv[start:start + batch], reduction="sum").item()
                val_correct += int((out.argmax(1) == yv[start:start + batch]).sum())
            p = penalty(kernels, a.reg, a.lam)
            val_loss = val_loss / len(xv) + (p.item() if p is not None else 0.0)
        seconds = time.perf_counter() - t0
        history.append({"epoch": epoch + 1, "loss": total / n, "val_loss": val_loss,
                        "val_accuracy": val_correct / len(xv), "seconds": seconds})
        if not a.quiet:
            print(json.dumps(history[-1]), flush=True)

    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[s:s + 1000]).argmax(1) == y_test[s:s + 1000]).sum())
                      for s in range(0, len(x_test), 1000))
    secs = [h["seconds"] for h in history]
    steady = secs[1:] if len(secs) > 1 else secs
    print(json.dumps({"bench": "cnn", "framework": "pytorch", "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "reg": a.reg, "epochs": a.epochs,
                      "train_rows": n, "seconds_per_epoch": statistics.median(steady),
                      "first_epoch_seconds": secs[0], "epoch_seconds": secs,
                      "final_loss": history[-1]["loss"], "final_val_loss": history[-1]["val_loss"],
                      "final_val_accuracy": history[-1]["val_accuracy"],
                      "test_accuracy": correct / len(x_test)}), flush=True)


main()
