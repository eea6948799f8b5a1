"""Group averages against training on the orbit, on the shifted digits.

The 8 x 8 shifted digits (`load_shifted_digits`) under the dihedral group
times inversion (16 elements), one leak-free split by source image
(``GroupShuffleSplit(test_size=0.2, random_state=0)`` on ``groups``), of
which ``--n-train`` training and ``--n-test`` test images are drawn (the
orbit of the training set has 16 times as many rows, and an averaged model
predicts 16 times per row, so the full split takes far longer than a few
minutes for the SVM and nearest neighbours).

Each classifier is (a) trained on the data, (b) trained on the orbit
(`OrbitAugmentedClassifier`), (c) symmetrized (`SymmetrizedClassifier`,
trained on the orbit; for nearest neighbours on the data too, since its
predict time grows with the training set). Two invariant feature maps,
`GroupAveragedTransformer` around `Nystroem` and `RBFSampler`, feed a
logistic regression. For each model: accuracy on the test images, the worst
accuracy over the 16 images of the test set, the fraction of test rows whose
prediction some element changes, and fit and predict (test set, once) times.

The script stops with an error if a symmetrized model (or a model on the
averaged features) gives any test row two predictions (changed must be 0).

Run: ``OMP_NUM_THREADS=1 python benchmarks/accuracy_averaging.py``
(``--n-train 7185 --n-test 1800`` for the whole split).
"""

import argparse
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sk_symmetry import (
    GroupAveragedTransformer,
    OrbitAugmentedClassifier,
    SymmetrizedClassifier,
    SymmetryGroup,
    load_shifted_digits,
)

G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()


def base_models():
    """The three classifiers of the issue, with their default settings."""
    return {
        "HistGradientBoosting": lambda: HistGradientBoostingClassifier(
            max_iter=100, random_state=0
        ),
        "SVC(rbf)": lambda: SVC(kernel="rbf"),
        "KNeighbors(5)": lambda: KNeighborsClassifier(5),
    }


def feature_models():
    def head():
        return LogisticRegression(max_iter=2000)

    return {
        "averaged Nystroem(500)": make_pipeline(
            GroupAveragedTransformer(Nystroem(n_components=500, random_state=0), G),
            StandardScaler(), head(),
        ),
        "averaged RBFSampler(2000)": make_pipeline(
            GroupAveragedTransformer(
                RBFSampler(gamma=0.02, n_components=2000, random_state=0), G
            ),
            StandardScaler(), head(),
        ),
    }


def models():
    """(name, variant, estimator, exact): every row of the table."""
    rows = []
    for name, make in base_models().items():
        rows.append((name, "(a) data", make(), False))
        rows.append((name, "(b) orbit", OrbitAugmentedClassifier(make(), symmetry=G),
                     False))
        rows.append((name, "(c) symmetrized", SymmetrizedClassifier(make(), G), True))
        if name.startswith("KNeighbors"):
            rows.append((name, "(c) symmetrized, fit on data",
                         SymmetrizedClassifier(make(), G, fit_on="data"), True))
    for name, model in feature_models().items():
        rows.append((name, "+ logistic", model, True))
    return rows


def evaluate(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    base = model.predict(X_test)
    predict_time = time.perf_counter() - start
    predictions = [base] + [model.predict(g(X_test)) for g in list(G)[1:]]
    scores = [np.mean(p == y_test) for p in predictions]
    changed = np.mean(np.any([p != base for p in predictions], axis=0))
    return scores[0], min(scores), changed, fit_time, predict_time


def main(n_train, n_test, only):
    data = load_shifted_digits()
    split = GroupShuffleSplit(1, test_size=0.2, random_state=0)
    train, test = next(split.split(data.data, data.target, data.groups))
    rng = np.random.default_rng(0)
    train = rng.choice(train, size=min(n_train, len(train)), replace=False)
    test = rng.choice(test, size=min(n_test, len(test)), replace=False)
    X_train, y_train = data.data[train], data.target[train]
    X_test, y_test = data.data[test], data.target[test]
    print(f"{len(train)} training images ({len(G) * len(train)} in the orbit), "
          f"{len(test)} test images, {len(G)} elements")
    header = (f"{'model':<26}{'variant':<30}{'accuracy':>9}{'worst':>8}"
              f"{'changed':>9}{'fit s':>8}{'predict s':>10}")
    print(header)
    print("-" * len(header))
    for name, variant, model, exact in models():
        if only and not any(word in name for word in only):
            continue
        accuracy, worst, changed, fit_time, predict_time = evaluate(
            model, X_train, y_train, X_test, y_test
        )
        if exact and changed != 0:
            raise AssertionError(f"{name} {variant}: an exact model changed {changed}")
        print(f"{name:<26}{variant:<30}{accuracy:>9.3f}{worst:>8.3f}"
              f"{changed:>9.3f}{fit_time:>8.1f}{predict_time:>10.2f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=300)
    parser.add_argument("--only", nargs="*", default=(),
                        help="rows whose model name contains one of these words")
    args = parser.parse_args()
    main(args.n_train, args.n_test, args.only)
