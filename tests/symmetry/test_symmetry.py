"""invert: -X for every supported container, a clear error for the rest;
check_symmetry: every accepted ``symmetry`` as one group, the rest refused."""

import pickle
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from group_strategies import random_groups
from hypothesis import given, settings

from sk_symmetry import SymmetryGroup, check_symmetry, invert


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


# -- check_symmetry ------------------------------------------------------


def test_check_symmetry_none_and_invert_are_the_inversion_group():
    X = np.array([[1.0, -2.0, 0.5]])
    for symmetry in (None, invert):
        group = check_symmetry(symmetry)
        assert group == SymmetryGroup.inversion()
        assert [g.name for g in group] == ["identity", "invert"]
        bound = check_symmetry(symmetry, n_features=3)
        assert bound.n_features == 3
        assert [g.name for g in bound] == ["identity", "invert"]
        identity, inverted = bound
        assert np.array_equal(identity(X), X) and identity(X) is not X
        assert np.array_equal(inverted(X), -X)


@settings(max_examples=20, deadline=None)
@given(G=random_groups())
def test_check_symmetry_passes_a_group_through_and_checks_its_width(G):
    assert check_symmetry(G) is G
    assert check_symmetry(G, G.n_features) is G
    with pytest.raises(ValueError, match=f"acts on {G.n_features} features"):
        check_symmetry(G, G.n_features + 1)


def hflip(X):
    return np.asarray(X)[:, ::-1]


def test_check_symmetry_makes_a_function_a_named_pair():
    X = np.arange(6.0).reshape(2, 3)
    pair = check_symmetry(hflip, n_features=3)
    assert len(pair) == 2 and pair.n_features is None
    assert [g.name for g in pair] == ["identity", "hflip"]
    assert pair[0].name == "identity" and pair.bind(5) is pair
    identity_image, flipped = pair.orbit(X)
    assert np.array_equal(identity_image, X) and identity_image is not X
    assert np.array_equal(flipped, X[:, ::-1])
    # Pickles (scorers holding it go to joblib workers).
    restored = pickle.loads(pickle.dumps(pair))
    assert np.array_equal(restored[1](X), flipped)
    # Named after repr() when it has no __name__.
    negate = partial(np.multiply, -1)
    assert check_symmetry(negate)[1].name == repr(negate)


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda X: X[:, :-1], r"must return data of the shape of X, \(2, 3\); "
         r"got \(2, 2\)"),
        (lambda X: None, "must return data of the shape of X.*got NoneType"),
    ],
)
def test_check_symmetry_checks_a_functions_images(bad, match):
    with pytest.raises(ValueError, match=match):
        check_symmetry(bad)[1](np.ones((2, 3)))


@pytest.mark.parametrize(
    "symmetry, match",
    [
        (SymmetryGroup, "got the class SymmetryGroup. Pass an instance"),
        (dict, "got the class dict"),
        ("invert", "symmetry must be None, a SymmetryGroup instance or a callable"),
        (-1, "got -1 of type int"),
    ],
)
def test_check_symmetry_refuses_what_is_not_a_symmetry(symmetry, match):
    with pytest.raises(TypeError, match=match):
        check_symmetry(symmetry)


@pytest.mark.parametrize("n_features", [0, -2, 1.5, True])
def test_check_symmetry_refuses_a_bad_width(n_features):
    for symmetry in (None, hflip):
        with pytest.raises(ValueError, match="n_features must be a positive"):
            check_symmetry(symmetry, n_features)
