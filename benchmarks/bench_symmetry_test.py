"""symmetry_test's guarantees, measured: Type I error, power and time (issue 20).

Type I error: the rejection rate at ``alpha = 0.05`` over ``--reps`` data sets
that are exactly symmetric by construction, with its binomial standard error
and a one-sided 95% Clopper-Pearson upper bound:

- ``ising``: 2D Ising configurations (``make_ising``, L = 6, T = 2.0 and 2.5,
  100 each, one configuration per Markov chain so rows are independent)
  under ``s -> -s``; the labels (ordered or not) depend on the temperature
  only, so they are invariant too.
- ``digits, random image``: 200 of scikit-learn's digits (scaled to
  [-1, 1]), each replaced by its image under a uniformly random element of
  the dihedral group times inversion (16 elements), label carried along:
  the distribution is exactly invariant under the group. All 15 elements
  other than the identity are tested; the table gives the rate per test
  (3,000 tests over 200 data sets) and the family-wise rate after Holm.
- ``digits, whole orbit``: 13 digits and all 16 of their images (208 rows),
  the literal "training set is the whole orbit"; its rows are not
  independent (a row's images are other rows), which the exact guarantee
  assumes, so this row shows what happens without it.

Power and time: the full report on the shifted digits
(``load_shifted_digits()``, 8,985 rows) for the dihedral group times
inversion, run once with ``n_jobs=2`` (wall time) and once with ``n_jobs=1``
(the CPU time of the whole computation, in this process). Before timing it
checks that the half turn's label test flags both 6 and 9.

Run: ``python benchmarks/bench_symmetry_test.py [--reps 200]``
"""

import argparse
import time

import numpy as np
from scipy.stats import beta
from sklearn.datasets import load_digits

from sk_symmetry import SymmetryGroup, load_shifted_digits, make_ising, symmetry_test

ALPHA = 0.05
G16 = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()


def ising_data(rep):
    data = make_ising(
        6, [2.0, 2.5], 100, n_chains=100, n_equilibration=50, random_state=rep
    )
    return data.data, data.target, SymmetryGroup.inversion()


def digits_random_image(rep, digits):
    X, y = digits
    rng = np.random.RandomState(rep)
    rows = rng.choice(len(X), 200, replace=False)
    which = rng.randint(len(G16), size=rows.size)
    images = np.vstack([G16[k](X[i : i + 1]) for i, k in zip(rows, which, strict=True)])
    return images, y[rows], G16


def digits_whole_orbit(rep, digits):
    X, y = digits
    rows = np.random.RandomState(rep).choice(len(X), 13, replace=False)
    return np.vstack(G16.orbit(X[rows])), np.tile(y[rows], len(G16)), G16


def upper_bound(k, n, level=0.95):
    """One-sided Clopper-Pearson upper bound of a binomial proportion."""
    return 1.0 if k == n else float(beta.ppf(level, k + 1, n - k))


def rate(k, n):
    p = k / n
    return f"{p:.3f} +- {np.sqrt(p * (1 - p) / n):.3f} (<= {upper_bound(k, n):.3f})"


def type_one_error(name, make, reps):
    start = time.perf_counter()
    per_test = {"inputs": [0, 0], "labels": [0, 0]}
    family = {"inputs": 0, "labels": 0}
    for rep in range(reps):
        X, y, group = make(rep)
        result = symmetry_test(X, y, group, random_state=rep)
        for test, raw, adjusted in (
            ("inputs", result.input_pvalue, result.input_pvalue_adjusted),
            ("labels", result.label_pvalue, result.label_pvalue_adjusted),
        ):
            per_test[test][0] += int(np.sum(raw[1:] <= ALPHA))
            per_test[test][1] += raw.size - 1
            family[test] += int(np.any(adjusted[1:] <= ALPHA))
    seconds = time.perf_counter() - start
    for test in ("inputs", "labels"):
        k, n = per_test[test]
        line = f"| {name} | {test} | {rate(k, n)} | "
        line += f"{rate(family[test], reps)} |" if n > reps else "(same) |"
        print(line)
    return seconds


def power_report():
    X, y = load_shifted_digits(return_X_y=True)
    # Verify before timing: the half turn's label test flags 6 and 9.
    result = symmetry_test(X, y, G16, random_state=0, n_jobs=2)
    flagged = {c for c, _, _ in result.relabelled("rot180")}
    assert {6, 9} <= flagged, flagged
    print(result)
    print()
    print(
        "| element | X vs g(X) accuracy | p (Holm) | accuracy on g(X) | p (Holm) "
        "| rejected | most moved classes |"
    )
    print("|---|---|---|---|---|---|---|")
    for e, name in enumerate(result.elements):
        moved = ", ".join(f"{c}->{d} {f:.2f}" for c, d, f in result.relabelled(e)[:3])
        print(
            f"| {name} | {result.input_accuracy[e]:.3f} "
            f"| {result.input_pvalue_adjusted[e]:.2g} "
            f"| {result.transformed_accuracy[e]:.3f} "
            f"| {result.label_pvalue_adjusted[e]:.2g} | {result.rejected[e]} "
            f"| {moved} |"
        )
    start = time.perf_counter()
    again = symmetry_test(X, y, G16, random_state=0, n_jobs=2)
    wall = time.perf_counter() - start
    np.testing.assert_array_equal(again.label_pvalue, result.label_pvalue)
    cpu_start, start = time.process_time(), time.perf_counter()
    serial = symmetry_test(X, y, G16, random_state=0, n_jobs=1)
    serial_wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    np.testing.assert_array_equal(serial.input_pvalue, result.input_pvalue)
    print(
        f"\nfull report, {len(G16)} elements on {len(X)} rows: {wall:.1f} s wall "
        f"with n_jobs=2; {serial_wall:.1f} s wall and {cpu:.1f} s CPU with n_jobs=1"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--skip-type-one", action="store_true")
    args = parser.parse_args()
    if not args.skip_type_one:
        X, y = load_digits(return_X_y=True)
        digits = (X / 8.0 - 1.0, y)
        print(f"Type I error at alpha={ALPHA}, {args.reps} data sets each\n")
        print("| data | test | rate per test | family-wise (Holm) |")
        print("|---|---|---|---|")
        for name, make in (
            ("ising L=6, s -> -s", ising_data),
            (
                "digits, random image (D4 x C2)",
                lambda r: digits_random_image(r, digits),
            ),
            ("digits, whole orbit (D4 x C2)", lambda r: digits_whole_orbit(r, digits)),
        ):
            seconds = type_one_error(name, make, args.reps)
            print(f"<!-- {name}: {seconds:.0f} s -->")
        print()
    power_report()


if __name__ == "__main__":
    main()
