"""canonical_spins: the spin-flip invariant of sk_symmetry/features/_spins.py."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sk_symmetry.features import canonical_spins

# Spins of +-1, or any real values, zeros and ties included.
_configurations = arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(1, 6)),
    elements=st.sampled_from([-1.0, 1.0]) | st.floats(-3, 3),
)


@given(_configurations)
def test_canonical_spins_is_exactly_invariant(X):
    original = X.copy()
    canonical = canonical_spins(X)
    np.testing.assert_array_equal(canonical_spins(-X), canonical)
    np.testing.assert_array_equal(X, original)
    # Each row is x or -x.
    same = np.all(canonical == X, axis=1) | np.all(canonical == -X, axis=1)
    assert same.all()


@given(_configurations)
def test_the_canonical_configuration_has_a_nonnegative_magnetisation(X):
    canonical = canonical_spins(X)
    sums = canonical.sum(axis=1)
    # negating a row negates its sum exactly: the sums are |sum(x)|, bitwise
    assert (np.abs(X.sum(axis=1)) == sums).all()


def test_canonical_spins_of_tied_rows_follow_the_first_spin():
    X = np.array([[-1.0, 1.0, 1.0, -1.0], [1.0, 1.0, 1.0, -1.0]])
    np.testing.assert_array_equal(
        canonical_spins(X), [[1.0, -1.0, -1.0, 1.0], [1.0, 1.0, 1.0, -1.0]]
    )


def test_a_tie_is_broken_by_the_first_nonzero_spin_and_zeros_stay_zero():
    X = [[0.0, -1.0, 1.0], [0.0, 0.0, 0.0], [0, 2, -2]]  # any array-like
    np.testing.assert_array_equal(
        canonical_spins(X), [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0], [0.0, 2.0, -2.0]]
    )


def test_one_configuration_as_a_1d_array_is_refused_clearly():
    # One sample must be a row, as in the rest of the API: a 1-d array used
    # to fail inside numpy (axis 1 out of bounds).
    with pytest.raises(ValueError, match="(?s)Expected 2D array.*reshape"):
        canonical_spins(np.array([1.0, -1.0, 1.0]))


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.ones((2, 0)), ValueError, "0 feature"),
        (sp.csr_matrix(np.eye(2)), TypeError, "Sparse data was passed for X"),
    ],
)
def test_configurations_without_spins_or_sparse_are_refused_clearly(X, error, message):
    with pytest.raises(error, match=message):
        canonical_spins(X)
