"""Parameter counts of the deep narrow memorizers against N (log-log plot), and M1 against the
1-nearest-neighbour rule.

    python scripts/memorize_params.py --out docs/figures
    python scripts/memorize_params.py --nn-only --mnist-dir DIR    # M1 against 1-NN on MNIST pairs too

Part 1: MNIST-1D (d = 40), label = parity of the digit, the first N training images for N from 50
to 2,000; for every N each network is built and evaluated on its own training set (train accuracy
is measured). The slope of log(params) against log(N) is fitted by least squares.
Part 2: M1 and 1-NN (Euclidean) on digits and MNIST-1D pairs, at small samples and with flipped
training labels: test accuracies, the fraction of test points where the two predict differently,
and M1's undecided fraction (output exactly 0, counted as −1). With ``--mnist-dir`` (a folder with the
four MNIST IDX files) the same on Yu et al.'s five MNIST pairs at their 500 images per class, and
one of them with 20% flipped labels.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rulesfacts.memorize.common import accuracy, decide
from rulesfacts.memorize.experiments import build
from rulesfacts.tasks.images import load_dataset, make_pair

SIZES = (50, 100, 200, 500, 1000, 2000)
METHODS = ("park", "vardi", "m2", "m3")


def slope(ns, ps) -> float:
    return float(np.polyfit(np.log(ns), np.log(ps), 1)[0])


def param_table(sizes=SIZES):
    data = load_dataset("mnist1d")
    x = data.x_train / np.abs(data.x_train).max()
    y = np.where(data.y_train % 2 == 0, 1, -1)
    rows = []
    for n in sizes:
        for m in METHODS:
            net = build(m, x[:n], y[:n])
            rows.append({"n": n, "method": m, "params": net.info.params, "depth": net.info.depth,
                         "train_acc": accuracy(net, x[:n], y[:n]),
                         "bits": getattr(net, "B", None), "blocks": getattr(net, "K", None),
                         "parts": getattr(net, "parts", None)})
    return rows


MNIST_PAIRS = ((1, 7), (2, 3), (4, 9), (5, 6), (8, 9))


def nn_table(seeds=(0, 1, 2), mnist_dir: Path | None = None):
    from sklearn.neighbors import KNeighborsClassifier

    rows = []
    settings = [("digits", (3, 8), n, 0.0) for n in (5, 20, 125)] + [("digits", (3, 8), 125, 0.2)]
    settings += [("mnist1d", (3, 5), n, 0.0) for n in (10, 100, 400)] + [("mnist1d", (3, 5), 400, 0.2)]
    if mnist_dir is not None:
        settings += [("mnist", pair, 500, 0.0) for pair in MNIST_PAIRS] + [("mnist", (4, 9), 500, 0.2)]
    cache = {}
    for name, pair, n, noise in settings:
        data = cache.setdefault(name, load_dataset(name, mnist_dir if name == "mnist" else None))
        res = []
        for seed in seeds:
            t = make_pair(data, *pair, train_per_class=n, seed=seed)
            ytr = t.y_train.copy()
            rng = np.random.default_rng(seed)
            flip = rng.random(len(ytr)) < noise
            ytr[flip] *= -1
            net = build("m1", t.x_train, ytr)
            s = net.score(t.x_test)
            m1 = decide(s)
            knn = KNeighborsClassifier(1).fit(t.x_train, ytr).predict(t.x_test)
            res.append((accuracy(net, t.x_train, ytr), np.mean(m1 == t.y_test), np.mean(knn == t.y_test),
                        np.mean(m1 != knn), np.mean(s == 0), np.mean((m1 != knn) & (s != 0))))
        r = np.array(res)
        rows.append({"data": name, "pair": f"{pair[0]}-{pair[1]}", "n_per_class": n, "noise": noise,
                     "m1_train": float(r[:, 0].min()), "m1_test": float(r[:, 1].mean()),
                     "nn_test": float(r[:, 2].mean()), "disagree": float(r[:, 3].mean()),
                     "undecided": float(r[:, 4].mean()), "disagree_decided": float(r[:, 5].max())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("docs/figures"))
    ap.add_argument("--mnist-dir", type=Path,
                    help="folder with the four MNIST IDX files: adds MNIST pairs to the 1-NN table")
    ap.add_argument("--nn-only", action="store_true", help="only the M1 / 1-NN table (no parameter counts, no figure)")
    args = ap.parse_args()
    if args.nn_only:
        print(json.dumps({"nn": nn_table(mnist_dir=args.mnist_dir)}, indent=1))
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = param_table()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    fits = {}
    for m, marker in zip(METHODS, "osD^", strict=True):
        g = [r for r in rows if r["method"] == m]
        ns, ps = [r["n"] for r in g], [r["params"] for r in g]
        fits[m] = slope(ns, ps)
        ax.loglog(ns, ps, marker=marker, label=f"{m}: slope {fits[m]:.2f}")
    ns = np.array(SIZES, dtype=float)
    p0 = [r["params"] for r in rows if r["method"] == "park"][0]
    v0 = [r["params"] for r in rows if r["method"] == "vardi"][0]
    ax.loglog(ns, p0 * (ns / ns[0]) ** (2 / 3), "k--", lw=0.8, label="∝ N^(2/3)")
    ax.loglog(ns, v0 * (ns / ns[0]) ** 0.5, "k:", lw=0.8, label="∝ N^(1/2)")
    ax.set(xlabel="training points N (MNIST-1D, d = 40)", ylabel="nonzero parameters",
           title="Memorizing N points: parameters against N")
    ax.legend(fontsize=7)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "memorize-params.png", dpi=120)
    out = {"params": rows, "slopes": fits, "nn": nn_table(mnist_dir=args.mnist_dir)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
