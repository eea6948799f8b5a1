"""invert: -X for every supported container, a clear error for the rest."""

import numpy as np
import pytest
import scipy.sparse as sp

from sk_symmetry import invert


def test_invert_arrays_lists_and_sparse():
    X = np.array([[1.0, -2.0], [0.0, 3.5]])
    X_copy = X.copy()
    np.testing.assert_array_equal(invert(X), -X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(invert(X.tolist()), -X)
    np.testing.assert_array_equal(invert(sp.csr_matrix(X)).toarray(), -X)
    assert invert(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(invert(invert(X)), X)


def test_invert_dataframe_keeps_columns():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, -2.0], "b": [3, 4]})
    out = invert(df)
    assert list(out.columns) == ["a", "b"]
    np.testing.assert_array_equal(out.to_numpy(), -df.to_numpy())


@pytest.mark.parametrize(
    "X",
    [np.array([[1, 2]], dtype=np.uint8), np.array([[True, False]]), [["a", "b"]]],
)
def test_invert_refuses_data_without_a_sign(X):
    with pytest.raises(TypeError, match="signed numeric"):
        invert(X)


def test_invert_refuses_the_integer_minimum_instead_of_wrapping():
    with pytest.raises(ValueError, match="cannot negate -128"):
        invert(np.array([[-128, 5]], dtype=np.int8))
    np.testing.assert_array_equal(invert(np.array([[-127, 5]], np.int8)), [[127, -5]])


def test_invert_refuses_non_numeric_dataframe_columns():
    pd = pytest.importorskip("pandas")
    for column in (pd.Categorical([1, 2]), ["a", "b"]):
        with pytest.raises(TypeError, match="signed numeric"):
            invert(pd.DataFrame({"x": [1.0, 2.0], "c": column}))
