#!/usr/bin/python3
"""Reference baselines for bench/lead-baselines.ts, on the split it exported (bench only, never the product).

Reads part,label,x0..xn (the project's encoded features, the project's train/val/test split), fits
scikit-learn's gradient-boosted trees (HistGradientBoostingClassifier, early stopping on the validation part)
and a plain logistic regression on the training part, and prints holdout AUC, log loss and expected
calibration error (10 equal-width bins, as src/modules/scoring/metrics.ts computes it).

    apt-get install -y python3-sklearn
    /usr/bin/python3 bench/lead-baselines.py /tmp/i14/olist-split.csv
"""
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score


def ece(p, y, bins=10):
    idx = np.minimum(bins - 1, np.floor(p * bins).astype(int))
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() / len(p) * abs(p[mask].mean() - y[mask].mean())
    return total


def main(path):
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=str)
    part = data[:, 0]
    y = data[:, 1].astype(int)
    x = data[:, 2:].astype(float)
    tr, va, te = part == "train", part == "val", part == "test"
    print(f"{path}: {tr.sum()} train / {va.sum()} validation / {te.sum()} holdout, {x.shape[1]} columns, {y[te].sum()} holdout positives")
    models = {
        # Tuned by the validation part only: learning rate and depth from a small grid, early stopping on it.
        "sklearn gradient-boosted trees": None,
        "sklearn logistic regression (C=1)": LogisticRegression(C=1.0, max_iter=2000),
    }
    best, best_loss = None, np.inf
    for lr in (0.05, 0.1):
        for leaves in (7, 15):
            # Early stopping on an internal 15 % of the training part; the grid point is chosen by the validation part.
            m = HistGradientBoostingClassifier(learning_rate=lr, max_leaf_nodes=leaves, max_iter=300, l2_regularization=1.0, random_state=42,
                                               early_stopping=True, validation_fraction=0.15, n_iter_no_change=15)
            m.fit(x[tr], y[tr])
            loss = log_loss(y[va], m.predict_proba(x[va])[:, 1])
            if loss < best_loss:
                best, best_loss = m, loss
    models["sklearn gradient-boosted trees"] = best
    for name, m in models.items():
        if name.startswith("sklearn logistic"):
            m.fit(x[tr], y[tr])
        p = m.predict_proba(x[te])[:, 1]
        extra = f" (learning rate {m.learning_rate}, {m.max_leaf_nodes} leaves, {m.n_iter_} trees)" if hasattr(m, "n_iter_") and hasattr(m, "max_leaf_nodes") else ""
        print(f"  {name:36s} AUC {roc_auc_score(y[te], p):.3f}  log loss {log_loss(y[te], p):.4f}  ECE {ece(p, y[te]):.4f}{extra}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/i14/olist-split.csv")
