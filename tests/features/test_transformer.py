"""InversionInvariantTransformer: invariance, the paper's maps, bad input."""

import warnings
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sk_symmetry import InversionInvariantTransformer, invert
from sk_symmetry.features import _feature_maps
from sk_symmetry.features._feature_maps import (
    compiled_products,
    draw_derangement,
    products_blockwise,
)

KINDS = ["neighbor", "permutation", "square"]


@st.composite
def images_and_params(draw):
    """Random image batches with a random shape, dtype, kind and direction."""
    height = draw(st.integers(1, 6))
    width = draw(st.integers(1, 6))
    n_samples = draw(st.integers(1, 8))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    kind = draw(st.sampled_from(KINDS))
    direction = draw(st.sampled_from(["horizontal", "vertical", "both"]))
    as_images = draw(st.booleans())
    # Only what the transformer accepts: a direction for kind="neighbor"
    # alone, and no pixel its own neighbour (nor its own permutation partner).
    if kind != "neighbor" or not as_images:
        direction = "horizontal"
    if direction != "vertical" and width < 2:
        width = 2
    if direction != "horizontal" and height < 2:
        height = 2
    elements = st.floats(-1e3, 1e3, allow_nan=False, width=32)
    X = draw(hnp.arrays(dtype, (n_samples, height * width), elements=elements))
    params = {"kind": kind, "random_state": draw(st.integers(0, 2**31 - 1))}
    if as_images:
        params.update(image_shape=(height, width), direction=direction)
    return X, params


@settings(max_examples=150, deadline=None)
@given(images_and_params())
def test_transform_is_exactly_inversion_invariant(data):
    X, params = data
    transformer = InversionInvariantTransformer(**params).fit(X)
    Z = transformer.transform(X)
    Z_inverted = transformer.transform(-X)
    # Exact equality, not closeness: (-a) * (-b) == a * b in IEEE arithmetic.
    np.testing.assert_array_equal(Z, Z_inverted)
    assert Z.dtype == X.dtype


@settings(max_examples=100, deadline=None)
@given(images_and_params())
def test_dense_kernels_match_partner_definition(data):
    """Every kind equals ``x_k * x_{partners_[k]}`` gathered naively."""
    X, params = data
    transformer = InversionInvariantTransformer(**params).fit(X)
    n_features = X.shape[1]
    left = np.tile(X, (1, transformer.partners_.size // n_features))
    np.testing.assert_array_equal(
        transformer.transform(X), left * X[:, transformer.partners_]
    )


def test_neighbor_equals_paper_roll_on_8x8_images():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(20, 8, 8))
    X = images.reshape(20, 64)
    Z = InversionInvariantTransformer("neighbor", image_shape=(8, 8)).fit_transform(X)
    # The paper's definition: np.roll(img, -1, axis=2) on (n, 8, 8).
    expected = (images * np.roll(images, -1, axis=2)).reshape(20, 64)
    np.testing.assert_array_equal(Z, expected)


def test_vertical_and_both_directions_equal_roll():
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, size=(5, 3, 4))
    X = images.reshape(5, 12)
    vertical = (images * np.roll(images, -1, axis=1)).reshape(5, 12)
    horizontal = (images * np.roll(images, -1, axis=2)).reshape(5, 12)
    t = InversionInvariantTransformer(image_shape=(3, 4), direction="vertical")
    np.testing.assert_array_equal(t.fit_transform(X), vertical)
    t = InversionInvariantTransformer(image_shape=(3, 4), direction="both")
    np.testing.assert_array_equal(t.fit_transform(X), np.hstack([horizontal, vertical]))


def test_ring_neighbor_without_image_shape():
    X = np.arange(1.0, 7.0).reshape(1, 6)
    Z = InversionInvariantTransformer().fit_transform(X)
    np.testing.assert_array_equal(Z, X * np.roll(X, -1, axis=1))


def test_a_one_tuple_image_shape_is_a_one_row_image():
    X = np.arange(1.0, 7.0).reshape(1, 6)
    ring = InversionInvariantTransformer().fit_transform(X)
    one_d = InversionInvariantTransformer(image_shape=(6,)).fit_transform(X)
    np.testing.assert_array_equal(one_d, ring)
    with pytest.raises(ValueError, match="1 row"):
        InversionInvariantTransformer(image_shape=(6,), direction="vertical").fit(X)


def test_square_and_permutation_definitions():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(7, 10))
    np.testing.assert_array_equal(
        InversionInvariantTransformer("square").fit_transform(X), X**2
    )
    t = InversionInvariantTransformer("permutation", random_state=3).fit(X)
    np.testing.assert_array_equal(t.transform(X), X * X[:, t.permutation_])


@pytest.mark.parametrize("n_features", [2, 3, 10, 64, 784])
def test_permutation_is_a_seeded_derangement(n_features):
    X = np.ones((2, n_features))
    t1 = InversionInvariantTransformer("permutation", random_state=0).fit(X)
    t2 = InversionInvariantTransformer("permutation", random_state=0).fit(X)
    perm = t1.permutation_
    np.testing.assert_array_equal(np.sort(perm), np.arange(n_features))
    assert not np.any(perm == np.arange(n_features))
    np.testing.assert_array_equal(perm, t2.permutation_)


def test_permutation_blocks_cover_every_row():
    """More rows than one gather block: the blocked kernel must cover them all."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1000, 13))
    t = InversionInvariantTransformer("permutation", random_state=0).fit(X)
    np.testing.assert_array_equal(t.transform(X), X * X[:, t.permutation_])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_matches_dense(kind, fmt):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(6, 16)) * (rng.random((6, 16)) < 0.4)
    params = {"kind": kind, "random_state": 0, "image_shape": (4, 4)}
    dense = InversionInvariantTransformer(**params).fit_transform(X)
    Z = InversionInvariantTransformer(**params).fit_transform(
        sp.csr_matrix(X).asformat(fmt)
    )
    assert sp.issparse(Z) and Z.format == "csr"
    np.testing.assert_array_equal(Z.toarray(), dense)


def test_sparse_both_directions_matches_dense():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(4, 9))
    params = {"image_shape": (3, 3), "direction": "both"}
    dense = InversionInvariantTransformer(**params).fit_transform(X)
    Z = InversionInvariantTransformer(**params).fit_transform(sp.csr_matrix(X))
    np.testing.assert_array_equal(Z.toarray(), dense)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_dtype_preserved_and_input_untouched(kind, dtype):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 8)).astype(dtype)
    X_copy = X.copy()
    Z = InversionInvariantTransformer(kind, random_state=0).fit_transform(X)
    assert Z.dtype == dtype and Z.shape == X.shape
    np.testing.assert_array_equal(X, X_copy)


def test_integer_input_becomes_float64():
    X = np.arange(12).reshape(3, 4)
    Z = InversionInvariantTransformer("square").fit_transform(X)
    assert Z.dtype == np.float64
    np.testing.assert_array_equal(Z, X.astype(float) ** 2)


def test_fortran_ordered_input():
    rng = np.random.default_rng(8)
    X = np.asfortranarray(rng.normal(size=(5, 6)))
    Z = InversionInvariantTransformer(image_shape=(2, 3)).fit_transform(X)
    images = np.ascontiguousarray(X).reshape(5, 2, 3)
    np.testing.assert_array_equal(
        Z, (images * np.roll(images, -1, axis=2)).reshape(5, 6)
    )


def test_feature_names():
    X = np.zeros((2, 4))
    names = (
        InversionInvariantTransformer(image_shape=(2, 2)).fit(X).get_feature_names_out()
    )
    assert names.tolist() == ["x0*x1", "x1*x0", "x2*x3", "x3*x2"]
    names = InversionInvariantTransformer("square").fit(X).get_feature_names_out()
    assert names.tolist() == ["x0^2", "x1^2", "x2^2", "x3^2"]
    t = InversionInvariantTransformer("permutation", random_state=0).fit(X)
    assert t.get_feature_names_out(["a", "b", "c", "d"]).tolist() == [
        f"{'abcd'[i]}*{'abcd'[j]}" for i, j in enumerate(t.permutation_)
    ]


def test_set_output_pandas_uses_input_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(np.arange(6.0).reshape(2, 3), columns=["a", "b", "c"])
    t = InversionInvariantTransformer().set_output(transform="pandas")
    out = t.fit_transform(df)
    assert list(out.columns) == ["a*b", "b*c", "c*a"]
    np.testing.assert_array_equal(
        out.to_numpy(), df.to_numpy() * df[["b", "c", "a"]].to_numpy()
    )


def test_pipeline_with_invert_gives_same_features():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(5, 4))
    pipe = make_pipeline(FunctionTransformer(invert), InversionInvariantTransformer())
    np.testing.assert_array_equal(
        pipe.fit_transform(X), InversionInvariantTransformer().fit_transform(X)
    )


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(bad):
    X = np.ones((3, 4))
    X[1, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        InversionInvariantTransformer().fit(X)
    t = InversionInvariantTransformer().fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match="NaN|infinity"):
        t.transform(X)


def test_wrong_number_of_features_at_transform():
    t = InversionInvariantTransformer().fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match="4 features"):
        t.transform(np.ones((3, 5)))


@pytest.mark.parametrize(
    "shape", [(3, 3), (2, 2, 2), (0, 8), (2.0, 4), "8x8", (-2, -4)]
)
def test_bad_image_shape(shape):
    with pytest.raises(ValueError, match="image_shape"):
        InversionInvariantTransformer(image_shape=shape).fit(np.ones((2, 8)))


def test_direction_needs_image_shape():
    with pytest.raises(ValueError, match="needs image_shape"):
        InversionInvariantTransformer(direction="vertical").fit(np.ones((2, 8)))


@pytest.mark.parametrize("kind", ["square", "permutation"])
@pytest.mark.parametrize("direction", ["vertical", "both"])
def test_direction_applies_only_to_neighbor(kind, direction):
    t = InversionInvariantTransformer(
        kind, image_shape=(2, 4), direction=direction, random_state=0
    )
    with pytest.raises(ValueError, match=f"direction={direction!r}.*kind='neighbor'"):
        t.fit(np.ones((2, 8)))


@pytest.mark.parametrize(
    "params, n_features, match",
    [({}, 1, "n_features = 1"),
     ({"image_shape": (3, 1)}, 3, "1 column"),
     ({"image_shape": (1, 3), "direction": "vertical"}, 3, "1 row"),
     ({"image_shape": (1, 3), "direction": "both"}, 3, "1 row"),
     ({"image_shape": (3, 1), "direction": "both"}, 3, "1 column")],
)
def test_neighbor_refuses_features_that_are_their_own_neighbour(
    params, n_features, match
):
    # Their product would silently be x_i ** 2, i.e. kind="square".
    t = InversionInvariantTransformer("neighbor", **params)
    with pytest.raises(ValueError, match=f"{match}.*its own"):
        t.fit(np.ones((2, n_features)))


def test_non_numeric_data():
    with pytest.raises(ValueError, match="could not convert|dtype"):
        InversionInvariantTransformer().fit(np.array([["a", "b"], ["c", "d"]]))


def test_unknown_kind():
    with pytest.raises(ValueError, match="'kind' parameter"):
        InversionInvariantTransformer(kind="cube").fit(np.ones((2, 2)))


def test_permutation_needs_two_features():
    with pytest.raises(ValueError, match="n_features = 1"):
        InversionInvariantTransformer("permutation").fit(np.ones((3, 1)))


def test_transform_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        InversionInvariantTransformer().transform(np.ones((2, 2)))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sparse", [False, True])
def test_overflowing_products_raise_instead_of_returning_inf(kind, sparse):
    X = np.array([[1e200, 1e200, 1.0], [2.0, 3.0, 4.0]])
    X = sp.csr_matrix(X) if sparse else X
    t = InversionInvariantTransformer(kind, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning either
        with pytest.raises(ValueError, match="overflow float64"):
            t.transform(X)


@pytest.mark.parametrize("sparse", [False, True])
def test_non_finite_sparse_or_dense_input_names_the_problem(sparse):
    # The NaN's neighbour is an implicit zero of the sparse matrix.
    X = np.array([[np.nan, 0.0, 0.0], [2.0, 0.0, 4.0]])
    X_fit = np.ones((2, 3))
    t = InversionInvariantTransformer().fit(X_fit)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        t.transform(sp.csr_matrix(X) if sparse else X)


def _numpy_products(X, transformer):
    """The numpy kernels, which the compiled one replaces when it is built."""
    out = np.empty((X.shape[0], transformer.partners_.size), dtype=X.dtype)
    products_blockwise(transformer._kernel, X, out)
    return out


@pytest.mark.skipif(
    _feature_maps._products is None, reason="compiled kernels off or not built"
)
@settings(max_examples=80, deadline=None)
@given(
    data=images_and_params(),
    n_rows=st.integers(1, 40),
    n_threads=st.integers(1, 3),
)
def test_compiled_kernel_matches_the_definition_and_numpy(data, n_rows, n_threads):
    X, params = data
    X = np.resize(X, (n_rows, X.shape[1]))  # more rows than the strategy gives
    t = InversionInvariantTransformer(**params).fit(X)
    n = X.shape[1]
    expected = X[:, np.arange(t.partners_.size) % n] * X[:, t.partners_]
    out = np.empty(expected.shape, dtype=X.dtype)
    # Let every thread have a chunk however small the input.
    with mock.patch.object(_feature_maps, "MIN_BYTES_PER_THREAD", 1):
        assert compiled_products(X, t.partners_, out, n_threads) is True
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(_numpy_products(X, t), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize(
    "params",
    [
        {"kind": "square"},
        {"kind": "neighbor"},
        {"kind": "neighbor", "image_shape": (3, 5), "direction": "both"},
        {"kind": "permutation", "random_state": 0},
    ],
)
def test_compiled_kernel_finds_every_non_finite_value(dtype, bad, params):
    # 15 columns: the vector loops (2, 4 or 8 wide) and their scalar tails all
    # see a non-finite value somewhere; gathers run with and without AVX2.
    from sk_symmetry.features._products import products

    X = np.ones((3, 15), dtype=dtype)
    t = InversionInvariantTransformer(**params).fit(X)
    out = np.empty((3, t.partners_.size), dtype=dtype)
    args = (t.partners_.astype(np.int64), out, 3, 15, out.shape[1], X.itemsize)
    for avx2 in (True, False):
        assert products(X, *args, avx2) is True
        for row, col in np.ndindex(X.shape):
            X_bad = X.copy()
            X_bad[row, col] = bad
            assert products(X_bad, *args, avx2) is False, (row, col, avx2)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 12),
    n_cols=st.integers(2, 70),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_sse2_and_avx2_gathers_both_match_the_definition(n_rows, n_cols, dtype, seed):
    from sk_symmetry.features._products import products

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_cols)).astype(dtype)
    perm = draw_derangement(n_cols, rng).astype(np.int64)
    for avx2 in (True, False):
        out = np.empty_like(X)
        assert products(X, perm, out, n_rows, n_cols, n_cols, X.itemsize, avx2)
        np.testing.assert_array_equal(out, X * X[:, perm])


@pytest.mark.skipif(
    _feature_maps._products is None, reason="compiled kernels off or not built"
)
def test_compiled_kernel_uses_scikit_learns_thread_count():
    from threadpoolctl import threadpool_limits

    from sk_symmetry._compat import _openmp_effective_n_threads

    calls = []
    products = _feature_maps._products

    def recording(X, *args):
        calls.append(X.shape[0])
        return products(X, *args)

    # 20 MB of output: room for two threads of 8 MB.
    X = np.random.default_rng(0).uniform(-1, 1, size=(3200, 784))
    t = InversionInvariantTransformer("permutation", random_state=0).fit(X)
    with mock.patch.object(_feature_maps, "_products", recording):
        with threadpool_limits(1):
            single = t.transform(X)
        assert calls == [3200]
        calls.clear()
        with threadpool_limits(2):
            # two on a machine with two cores or more, one on a single core
            n_threads = _openmp_effective_n_threads()
            double = t.transform(X)
    assert sorted(calls) == [3200 // n_threads] * n_threads
    np.testing.assert_array_equal(single, double)


def test_compiled_kernel_is_built_and_checks_its_arguments():
    # CI builds the extension (setup.py); the numpy fallback is for users
    # without a compiler, so here its absence is a failure.
    from sk_symmetry.features._products import products

    X = np.ones((2, 3))
    out = np.empty((2, 3))
    assert products(X, np.array([0, 1, 2]), out, 2, 3, 3, 8) is True
    with pytest.raises(ValueError, match="out of range"):
        products(X, np.array([0, 1, 3]), out, 2, 3, 3, 8)
    with pytest.raises(ValueError, match="out of range"):
        products(X, np.array([0, -1, 2]), out, 2, 3, 3, 8)
    with pytest.raises(ValueError, match="buffer sizes"):
        products(X, np.array([0, 1, 2]), out, 3, 3, 3, 8)
    with pytest.raises(ValueError, match="itemsize"):
        products(X, np.array([0, 1, 2]), out, 2, 3, 3, 2)
    with pytest.raises(ValueError, match="multiple of n_cols"):
        products(X, np.array([0, 1, 2]), out, 2, 3, 2, 8)
    # Sizes that would wrap around to match tiny buffers.
    with pytest.raises(ValueError, match="too large"):
        products(b"", np.zeros(1, np.int64), bytearray(0), 2**61, 1, 1, 8)
    with pytest.raises(ValueError, match="too large"):
        products(b"", np.zeros(0, np.int64), bytearray(0), 0, 1, 2**62, 8)


def test_the_three_transformers_share_one_base_and_keep_float32():
    # Issue 28, section 2: one transform, one overflow error, one dtype tag.
    from sk_symmetry import GroupInvariantTransformer, InvariantRandomFeatures
    from sk_symmetry.features._common import InvariantTransformer

    X = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    for transformer in (
        InversionInvariantTransformer(),
        GroupInvariantTransformer(),
        InvariantRandomFeatures(n_components=5, random_state=0),
    ):
        assert isinstance(transformer, InvariantTransformer)
        tags = transformer.__sklearn_tags__().transformer_tags
        assert tags.preserves_dtype == ["float64", "float32"]
        assert transformer.fit_transform(X).dtype == np.float32
        with pytest.raises(ValueError, match="overflow float32"):
            transformer.transform(np.full((2, 6), 3e38, dtype=np.float32))
