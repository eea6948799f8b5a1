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


def test_invert_dataframe_with_duplicate_column_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([[1.0, -2.0, 3], [0.5, 4.0, -6]], columns=["a", "a", "b"])
    out = invert(df)
    assert list(out.columns) == ["a", "a", "b"]
    np.testing.assert_array_equal(out.to_numpy(), -df.to_numpy())
    with pytest.raises(TypeError, match="signed numeric"):
        invert(pd.concat([df, pd.DataFrame({"a": ["x", "y"]})], axis=1))


@pytest.mark.parametrize("with_missing", [False, True])
def test_invert_refuses_the_nullable_integer_minimum(with_missing):
    # A missing value turns the column into floats for numpy; the check must
    # still see the Int8 minimum.
    pd = pytest.importorskip("pandas")
    values = [-128, None] if with_missing else [-128, 1]
    df = pd.DataFrame({"x": pd.array(values, dtype="Int8")})
    with pytest.raises(ValueError, match="cannot negate -128"):
        invert(df)
    out = invert(pd.DataFrame({"x": pd.array([-127, None], dtype="Int8")}))
    assert out["x"].dtype == "Int8"
    assert out["x"][0] == 127 and out["x"].isna()[1]
