"""InvariantConvolutionFeatures: random convolutions on a ring, exactly
invariant under its cyclic shifts."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sk_symmetry import (
    GroupAveragedTransformer,
    InvariantConvolutionFeatures,
    SymmetryGroup,
)

S = SymmetryGroup
POOLINGS = ["ppv", "max", "mpv", "lspv", "mean"]


@st.composite
def rings(draw):
    """Rows of a ring with many ties, signed zeros and constant rows."""
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    n_positions = draw(st.integers(1, 13))
    elements = st.one_of(
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0]),
        st.floats(-10, 10, allow_nan=False, width=32),
    )
    X = draw(arrays(dtype, (draw(st.integers(1, 6)), n_positions), elements=elements))
    if draw(st.booleans()):  # a constant row, and a row of signed zeros
        X[0] = X[0, 0]
        X[-1] = np.where(np.arange(n_positions) % 2, 0.0, -0.0)
    return X


@settings(max_examples=60, deadline=None)
@given(
    rings(),
    st.integers(0, 100),
    st.booleans(),
    st.lists(st.integers(1, 11), min_size=1, max_size=3),
    st.integers(0, 3),
    st.integers(1, 3),
)
def test_features_are_exactly_invariant_under_cyclic_shifts(
    X, shift, differences, lengths, seed, n_biases
):
    icf = InvariantConvolutionFeatures(
        n_kernels=9, kernel_lengths=lengths, pooling=POOLINGS,
        differences=differences, n_biases=n_biases, random_state=seed,
    )
    Z = icf.fit(X).transform(X)
    n_columns = 1 + (len(POOLINGS) - 1) * n_biases  # "max" has no bias
    assert Z.dtype == X.dtype and Z.shape == (X.shape[0], 9 * n_columns)
    X_before = X.copy()
    shifted = icf.transform(np.roll(X, shift, axis=1))
    assert shifted.tobytes() == Z.tobytes()  # signed zeros included
    assert X.tobytes() == X_before.tobytes()


def test_a_maximum_of_signed_zeros_has_one_sign_under_every_shift():
    # numpy's max of [-0.0, 0.0, -1.0] has the sign of whichever zero comes
    # first: the pooled maximum must not.
    X = np.array([[-0.0, 0.0, -1.0]])
    icf = InvariantConvolutionFeatures(
        n_kernels=1, kernel_lengths=[1], pooling="max", differences=False,
        random_state=0,
    ).fit(X)
    outputs = {icf.transform(np.roll(X, s, axis=1)).tobytes() for s in range(3)}
    assert outputs == {np.zeros(1).tobytes()}


def _reference(icf, X):
    """The definition, one row, kernel and position at a time, in float64."""
    L = X.shape[1]
    out = []
    for x in X.astype(np.float64):
        row = []
        for k in range(icf.n_kernels):
            s = x - np.roll(x, 1) if icf.on_differences_[k] else x
            w, d = icf.weights_[k], icf.dilations_[k]
            m = len(w)
            c = np.array([
                sum(w[j] * s[(t + (j - (m - 1) // 2) * d) % L] for j in range(m))
                for t in range(L)
            ])
            for p in icf.pooling:
                if p == "max":
                    row.append(c.max())
                    continue
                for b in icf.biases_[k]:
                    row.append(_pooled(c - b, p))
        out.append(row)
    return np.array(out)


def _pooled(z, pooling):
    """One pooling of ``z = c - b`` over the ring, by its definition."""
    L = len(z)
    positive = z > 0
    run = best = 0
    for p in np.concatenate([positive, positive]):
        run = run + 1 if p else 0
        best = max(best, run)
    return {
        "ppv": positive.mean,
        "mpv": lambda: z[positive].mean() if positive.any() else 0.0,
        "lspv": lambda: min(best, L) / L,
        "mean": lambda: np.maximum(z, 0).mean(),
    }[pooling]()


@pytest.mark.parametrize(
    "differences, n_biases, pooling",
    [(False, 1, POOLINGS), (True, 1, POOLINGS), (True, 3, POOLINGS),
     (True, 2, ["ppv"]), (False, 2, ["mean", "ppv"])],
)
def test_features_follow_the_definition(differences, n_biases, pooling):
    X = np.random.default_rng(0).standard_normal((4, 17))
    icf = InvariantConvolutionFeatures(
        n_kernels=12, pooling=pooling, differences=differences,
        n_biases=n_biases, random_state=1,
    ).fit(X)
    assert icf.biases_.shape == (12, n_biases)
    np.testing.assert_allclose(icf.transform(X), _reference(icf, X), atol=1e-12)
    assert np.count_nonzero(icf.on_differences_) == (6 if differences else 0)


def test_kernels_follow_rocket():
    X = np.random.default_rng(0).standard_normal((30, 40))
    icf = InvariantConvolutionFeatures(
        n_kernels=3000, kernel_lengths=[7, 9, 11], dilations="rocket",
        center_weights=True, pooling=["ppv", "max", "mpv", "mean"], n_biases=1,
        random_state=0,
    ).fit(X)
    assert set(icf.kernel_lengths_) == {7, 9, 11}
    # The kernel spans at most the ring: (m - 1) * d <= L - 1.
    assert np.all((icf.kernel_lengths_ - 1) * icf.dilations_ <= 39)
    assert icf.dilations_.max() >= 4 and icf.dilations_.min() == 1
    assert all(abs(w.sum()) < 1e-12 for w in icf.weights_)
    # Each bias is a value within the range of a training row's convolution.
    Z = icf.transform(X)
    ppv = Z[:, 0::4]
    assert 0.3 < ppv.mean() < 0.7


def test_dilations_given_as_an_int_or_a_list():
    X = np.random.default_rng(0).standard_normal((5, 30))
    icf = InvariantConvolutionFeatures(n_kernels=50, dilations=3, random_state=0)
    assert set(icf.fit(X).dilations_) == {3}
    icf.set_params(dilations=[1, 2])
    assert set(icf.fit(X).dilations_) == {1, 2}
    np.testing.assert_allclose(icf.transform(X), _reference(icf, X), atol=1e-12)


def test_float32_and_float64_agree_and_keep_their_dtype():
    X = np.random.default_rng(1).standard_normal((5, 20))
    icf = InvariantConvolutionFeatures(n_kernels=20, random_state=0).fit(X)
    Z64 = icf.transform(X)
    Z32 = icf.transform(X.astype(np.float32))
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, Z64, rtol=1e-4, atol=1e-4)


def test_groups_of_shifts_are_accepted_and_others_refused():
    X = np.random.default_rng(2).standard_normal((6, 8))
    expected = InvariantConvolutionFeatures(n_kernels=5, random_state=0).fit(X)
    for group in (S.translations(8), S([(None, 1, "identity")])):
        icf = InvariantConvolutionFeatures(group, n_kernels=5, random_state=0)
        assert icf.fit_transform(X).tobytes() == expected.transform(X).tobytes()
    for group, name in (
        (S.inversion(), "invert"),
        (S.mirror((1, 8)), "mirror"),
        (S.translations(8) * S.inversion(), "invert"),
        (S.translations((2, 4)), "shift_x"),
    ):
        with pytest.raises(ValueError, match=f"'{name}'.*not a cyclic shift"):
            InvariantConvolutionFeatures(group, n_kernels=5).fit(X)


def test_max_over_a_larger_group_keeps_every_shift_exact():
    # The route the docstring gives for reflections and the inversion.
    X = np.random.default_rng(3).standard_normal((6, 12))
    G = S.mirror((1, 12)) * S.inversion()
    pooled = GroupAveragedTransformer(
        InvariantConvolutionFeatures(n_kernels=10, random_state=0), G, pooling="max"
    ).fit(X)
    Z = pooled.transform(X)
    for g in G:
        for shift in range(12):
            moved = np.roll(g(X), shift, axis=1)
            assert pooled.transform(moved).tobytes() == Z.tobytes()


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_kernels": 0}, ValueError, "n_kernels"),
        ({"kernel_lengths": []}, ValueError, "kernel_lengths"),
        ({"kernel_lengths": [9, 0]}, ValueError, "kernel_lengths"),
        ({"kernel_lengths": 9}, ValueError, "kernel_lengths"),
        ({"dilations": [1, 0]}, ValueError, "dilations"),
        ({"dilations": []}, ValueError, "dilations"),
        ({"dilations": "auto"}, ValueError, "dilations"),
        ({"pooling": ["ppv", "sum"]}, ValueError, "pooling"),
        ({"pooling": ["ppv", "ppv"]}, ValueError, "pooling"),
        ({"pooling": []}, ValueError, "pooling"),
        ({"n_biases": 0}, ValueError, "n_biases"),
        ({"n_biases": 2.0}, ValueError, "n_biases"),
        ({"n_biases": "4"}, ValueError, "n_biases"),
        ({"symmetry": S.translations(5)}, ValueError, "acts on 5"),
        ({"symmetry": np.roll}, ValueError, "symmetry"),
    ],
)
def test_bad_parameters_get_a_clear_error(params, error, match):
    X = np.random.default_rng(0).standard_normal((3, 4))
    with pytest.raises(error, match=match):
        InvariantConvolutionFeatures(**params).fit(X)


def test_non_finite_input_and_overflow_are_refused():
    X = np.random.default_rng(0).standard_normal((3, 6))
    icf = InvariantConvolutionFeatures(n_kernels=10, random_state=0).fit(X)
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        icf.transform(bad)
    with pytest.raises(ValueError, match="NaN"):
        InvariantConvolutionFeatures(n_kernels=10).fit(bad)
    with pytest.raises(ValueError, match="overflow"):
        icf.transform(np.tile(np.float32([3e38, -3e38]), (2, 3)))


def test_single_string_pooling_names_and_pickle():
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(4).standard_normal((4, 9))
    icf = InvariantConvolutionFeatures(n_kernels=3, pooling="max", random_state=0)
    frame = icf.set_output(transform="pandas").fit_transform(pd.DataFrame(X))
    assert list(frame.columns) == [
        f"invariantconvolutionfeatures{k}_max" for k in range(3)
    ]
    clone = pickle.loads(pickle.dumps(icf))
    assert clone.transform(X).to_numpy().tobytes() == frame.to_numpy().tobytes()


def test_threads_and_blocks_do_not_change_the_bits():
    from threadpoolctl import threadpool_limits

    X = np.random.default_rng(8).standard_normal((3000, 40))
    icf = InvariantConvolutionFeatures(n_kernels=40, random_state=0).fit(X[:50])
    Z = icf.transform(X)
    with threadpool_limits(1):
        assert icf.transform(X).tobytes() == Z.tobytes()
    assert icf.transform(X[1234:1235]).tobytes() == Z[1234:1235].tobytes()



def test_biases_spread_evenly_over_the_quantiles_of_one_row():
    # Kernel k's biases are the (i + u_k) / n quantiles of the convolution of
    # one training row: one in each n-th of its range, in increasing order.
    X = np.random.default_rng(5).standard_normal((20, 30))
    icf = InvariantConvolutionFeatures(
        n_kernels=200, n_biases=4, pooling=["ppv", "max", "mpv", "mean"],
        differences=False, random_state=0,
    ).fit(X)
    assert np.all(np.diff(icf.biases_, axis=1) >= 0)
    # Each kernel's columns: ppv at its 4 biases, max, mpv and mean at each.
    ppv = icf.transform(X).reshape(20, 200, 13)[:, :, :4]
    # On the training signals the proportion of positive values falls with
    # the bias, about 7/8, 5/8, 3/8, 1/8 on average.
    means = ppv.mean(axis=(0, 1))
    assert np.all(np.diff(means) < -0.15), means
    # One bias draws the same kernels and the first quantile of each kernel
    # is then uniform: n_biases=1 is the earlier transformer.
    one = InvariantConvolutionFeatures(
        n_kernels=200, n_biases=1, differences=False, random_state=0
    ).fit(X)
    pairs = zip(one.weights_, icf.weights_, strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)
    assert np.all(icf.biases_[:, :1] <= one.biases_ + 1e-12)


def test_feature_names_number_the_biases():
    X = np.random.default_rng(6).standard_normal((4, 9))
    icf = InvariantConvolutionFeatures(
        n_kernels=2, pooling=["ppv", "max"], n_biases=2, random_state=0
    ).fit(X)
    prefix = "invariantconvolutionfeatures"
    assert list(icf.get_feature_names_out()) == [
        f"{prefix}{k}_{name}" for k in range(2) for name in ("ppv0", "ppv1", "max")
    ]
    assert icf.transform(X).shape == (4, 6)
