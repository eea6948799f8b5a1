"""GroupInvariantTransformer: exact invariance, completeness, agreement with the
inversion products, bad input."""

import numpy as np
import pytest
from group_strategies import groups_and_data
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sk_symmetry import (
    GroupInvariantTransformer,
    InversionInvariantTransformer,
    SymmetryGroup,
)

S = SymmetryGroup


@settings(max_examples=80, deadline=None)
@given(
    groups_and_data(),
    st.sampled_from(["canonical", "averaged"]),
    st.sampled_from(["neighbor", "square", "permutation", "all"]),
    st.integers(0, 5),
)
def test_every_kind_is_exactly_invariant(group_and_data, kind, pairs, seed):
    group, X = group_and_data
    t = GroupInvariantTransformer(group, kind=kind, pairs=pairs, random_state=seed)
    try:
        t.fit(X)
    except ValueError as error:  # every average vanishes: refused, clearly
        assert "vanishes" in str(error)
        return
    Z = t.transform(X)
    assert Z.dtype == X.dtype
    for g in group:  # the same bits, signed zeros included
        assert t.transform(g(X)).tobytes() == Z.tobytes()


@settings(max_examples=60, deadline=None)
@given(groups_and_data(), st.sampled_from(["moments", "random"]), st.integers(0, 5))
def test_canonical_form_is_complete(group_and_data, projection, seed):
    """Rows share a canonical form exactly when one is an image of the other."""
    group, X = group_and_data
    t = GroupInvariantTransformer(group, projection=projection, random_state=seed)
    Z = t.fit(X).transform(X)
    # Orbits of rows as numbers: -0.0 and 0.0 are one value.
    orbit_keys = [
        frozenset((g(X[i : i + 1]) + 0.0).tobytes() for g in group)
        for i in range(len(X))
    ]
    for i in range(len(X)):
        # The canonical form is an image of the row.
        assert Z[i : i + 1].tobytes() in orbit_keys[i]
        for j in range(len(X)):
            same_orbit = orbit_keys[i] == orbit_keys[j]
            assert np.array_equal(Z[i], Z[j]) == same_orbit


def test_canonical_images_of_digits_on_the_dihedral_group_times_inversion():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 64))
    G = S.dihedral((8, 8)) * S.inversion()
    t = GroupInvariantTransformer(G, random_state=0).fit(X)
    Z = t.transform(X)
    assert Z.shape == X.shape
    for g in G:
        np.testing.assert_array_equal(t.transform(g(X)), Z)
    # Rows of different orbits stay apart: the map loses only the orientation.
    assert len({row.tobytes() for row in Z}) == len(X)


@pytest.mark.parametrize(
    ("pairs", "kind", "image_shape"),
    [
        ("neighbor", "neighbor", None),
        ("neighbor", "neighbor", (4, 5)),
        ("square", "square", None),
    ],
)
def test_averaged_inversion_invariants_are_the_papers_products(
    pairs, kind, image_shape
):
    X = np.random.default_rng(1).normal(size=(30, 20))
    group = S([(np.arange(20), -1, "invert")], image_shape=image_shape)
    ours = GroupInvariantTransformer(group, kind="averaged", pairs=pairs).fit(X)
    theirs = InversionInvariantTransformer(kind, image_shape=image_shape).fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))


def test_averaged_permutation_products_are_the_papers_without_repeats():
    X = np.random.default_rng(2).normal(size=(10, 9))
    ours = GroupInvariantTransformer(
        kind="averaged", pairs="permutation", random_state=3
    )
    theirs = InversionInvariantTransformer("permutation", random_state=3).fit(X)
    Z = ours.fit(X).transform(X)
    expected = theirs.transform(X)
    # Same products; a 2-cycle of P gives the same pair twice, kept once here.
    seen, keep = set(), []
    for i, j in enumerate(theirs.permutation_):
        if frozenset((i, j)) not in seen:
            seen.add(frozenset((i, j)))
            keep.append(i)
    np.testing.assert_array_equal(Z, expected[:, keep])


def test_averaged_features_are_group_means_and_have_no_duplicate_columns():
    X = np.random.default_rng(3).normal(size=(40, 16))
    G = S.dihedral((4, 4)) * S.inversion()
    t = GroupInvariantTransformer(G, kind="averaged", pairs="all").fit(X)
    Z = t.transform(X)
    # Reynolds operator by brute force: mean over the group of g(x)_i g(x)_j.
    images = np.stack([g(X) for g in G])
    for k, (left, right, sign) in enumerate(t.orbits_):
        i, j = left[0], right[0]
        reynolds = (images[:, :, i] * images[:, :, j]).mean(axis=0)
        np.testing.assert_allclose(Z[:, k] * sign[0], reynolds, rtol=1e-12, atol=1e-12)
    assert len({column.tobytes() for column in Z.T}) == Z.shape[1]
    assert t.get_feature_names_out()[0] == "avg(x0^2)"


@pytest.mark.parametrize("kind", ["canonical", "averaged"])
def test_a_group_of_1d_signals(kind):
    # A 1-d signal given as image_shape (length,): translations((12,)).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 12))
    G = S.translations((12,))
    t = GroupInvariantTransformer(G, kind=kind, random_state=0).fit(X)
    expected = GroupInvariantTransformer(
        S.translations(12), kind=kind, random_state=0
    ).fit(X)
    Z = t.transform(X)
    np.testing.assert_array_equal(Z, expected.transform(X))
    for g in G:
        assert np.array_equal(t.transform(g(X)), Z)


def _images_or_errors(t, G, X):
    out = []
    for g in G:
        try:
            out.append(t.transform(g(X)).tobytes())
        except ValueError as error:
            assert "overflow" in str(error)
            out.append("overflow")
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_canonical_form_at_the_edge_of_overflow(dtype):
    # Issue 18, item 1: huge values made the scores overflow and the chosen
    # image depend on g. Now every image gives the same bits, or every image
    # the same overflow error, as kind="averaged" raises.
    G = S.dihedral((3, 3)) * S.inversion()
    big = np.finfo(dtype).max
    limit = big / (4 * 9)  # the documented limit: max |x| <= max / (4 n)
    rng = np.random.default_rng(0)
    U = rng.uniform(-1, 1, size=(50, 9))
    U[:, 4] = 1.0  # max |x| is the scale exactly
    t = GroupInvariantTransformer(G, random_state=0).fit(np.ones((2, 9), dtype))
    for scale in [limit, big / 20, big / 4, big / 2, big]:
        X = (U * scale).astype(dtype)
        outcomes = _images_or_errors(t, G, X)
        assert len(set(outcomes)) == 1, scale
        assert (outcomes[0] == "overflow") == (scale > limit), scale
    np.testing.assert_array_equal(t.transform(U.astype(dtype)), t.transform(
        (U * 2.0**-20).astype(dtype)) * dtype(2.0**20))


def test_canonical_form_with_a_huge_projection():
    # A projection near 1e308 overflowed the scores of ordinary data.
    G = S.dihedral((3, 3)) * S.inversion()
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(50, 9))
    w = rng.uniform(0.5, 1.0, size=9)
    huge = GroupInvariantTransformer(G, projection=w * 2.0**1023).fit(X)
    assert len(set(_images_or_errors(huge, G, X))) == 1
    plain = GroupInvariantTransformer(G, projection=w).fit(X)
    np.testing.assert_array_equal(huge.transform(X), plain.transform(X))


def test_bad_input_gets_clear_errors():
    X = np.ones((3, 5))
    with pytest.raises(ValueError, match="acts on 4 features but X has 5"):
        GroupInvariantTransformer(S.mirror((2, 2))).fit(X)
    with pytest.raises(ValueError, match="needs at least 2 features"):
        GroupInvariantTransformer(kind="averaged").fit(np.ones((3, 1)))
    with pytest.raises(ValueError, match="5 finite numbers"):
        GroupInvariantTransformer(projection=np.ones(4)).fit(X)
    # Issue 18, item 13: not numpy's "could not convert string to float".
    with pytest.raises(ValueError, match="projection must be .* finite numbers"):
        GroupInvariantTransformer(projection=["a"] * 5).fit(X)
    # Item 8: the message names pairs (kind='neighbor' is no option here).
    with pytest.raises(ValueError, match="pairs='neighbor' needs at least 2") as error:
        GroupInvariantTransformer(kind="averaged").fit(np.ones((3, 1)))
    assert "kind='neighbor'" not in str(error.value)
    assert "pairs='square'" in str(error.value)
    with pytest.raises(ValueError, match="pairs='neighbor' needs 2 or more columns"):
        GroupInvariantTransformer(
            S.mirror((3, 1)), kind="averaged", pairs="neighbor"
        ).fit(np.ones((3, 3)))
    # A group under which every neighbour product meets its own negative.
    flip_one = S([(np.arange(5), [-1, 1, 1, 1, 1], "flip0")]) * S.translations(5)
    with pytest.raises(ValueError, match="vanishes"):
        GroupInvariantTransformer(flip_one, kind="averaged", pairs="neighbor").fit(X)
    with pytest.raises(ValueError, match="overflow"):
        GroupInvariantTransformer(kind="averaged").fit(X).transform(X * 1e200)
    t = GroupInvariantTransformer(S.mirror((1, 5))).fit(X)
    with pytest.raises(ValueError, match="5 features"):
        t.transform(np.ones((3, 4)))


def test_former_parameter_group_warns_and_acts_as_symmetry():
    X = np.random.default_rng(4).normal(size=(6, 4))
    G = S.mirror((2, 2))
    expected = GroupInvariantTransformer(symmetry=G, random_state=0).fit(X)
    old = GroupInvariantTransformer(group=G, random_state=0)
    with pytest.warns(FutureWarning, match="`group` was renamed `symmetry`") as record:
        old.fit(X)
    assert record[0].filename == __file__  # points at the user's call
    assert old.transform(X).tobytes() == expected.transform(X).tobytes()
    assert [g.name for g in old.group_] == [g.name for g in expected.group_]
    # An explicit group=None is the old default: inversion, with the warning.
    with pytest.warns(FutureWarning, match="renamed"):
        GroupInvariantTransformer(group=None).fit(X)
    # The parameter round-trips through get_params, set_params and clone.
    cloned = clone(old)
    with pytest.warns(FutureWarning, match="renamed"):
        assert cloned.fit(X).transform(X).tobytes() == expected.transform(X).tobytes()
    assert old.set_params(group="deprecated", symmetry=G).get_params()["group"] == (
        "deprecated"
    )
    with pytest.raises(ValueError, match="Both `symmetry` and `group`"):
        GroupInvariantTransformer(G, group=G).fit(X)
