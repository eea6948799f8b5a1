"""The averaging meta-estimators on Dask arrays: lazy, block by block, on a
real (in-process) distributed cluster, and identical to the in-memory call."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    RandomForestRegressor,
)
from sklearn.kernel_approximation import Nystroem  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402

from sk_symmetry import (  # noqa: E402
    GroupAveragedTransformer,
    SymmetrizedClassifier,
    SymmetrizedRegressor,
    SymmetryGroup,
)

G = SymmetryGroup.dihedral((3, 3)) * SymmetryGroup.inversion()


@pytest.fixture(scope="module")
def thread_cluster_client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def tied_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 9))
    X[::7] = np.round(X[::7])  # ties and zeros
    y = np.digitize(X[:, 0] + X[:, 4] ** 2, [0.0, 1.5])
    return X, y


@pytest.mark.parametrize(
    "model, methods",
    [
        (SymmetrizedClassifier(ExtraTreesClassifier(5, random_state=0), G),
         ["predict", "predict_proba"]),
        (SymmetrizedClassifier(
            LogisticRegression(), G,
            label_action={"mirror": {0: 2, 2: 0}}),
         ["predict", "predict_proba"]),
        (SymmetrizedRegressor(RandomForestRegressor(5, random_state=0), G,
                              target="odd"), ["predict"]),
        (GroupAveragedTransformer(Nystroem(n_components=20, random_state=0), G),
         ["transform"]),
    ],
    ids=["trees", "equivariant_logistic", "odd_forest", "nystroem"],
)
def test_dask_arrays_give_the_in_memory_result(
    thread_cluster_client, tied_data, model, methods
):
    X, y = tied_data
    model.fit(X, y if not hasattr(model, "transform") else None)
    X_dask = da.from_array(X, chunks=(45, 9))
    for method in methods:
        lazy = getattr(model, method)(X_dask)
        assert isinstance(lazy, da.Array)
        computed = lazy.compute()
        expected = getattr(model, method)(X)
        assert computed.shape == expected.shape and computed.dtype == expected.dtype
        assert np.array_equal(computed, expected), method


def test_an_inner_model_that_depends_on_its_batch_stays_exact_per_chunking(
    thread_cluster_client, tied_data
):
    # Ridge's matrix-vector product can round a row differently by where it
    # sits in its batch, so chunks change the last bits; the symmetry, which
    # the chunking does not touch, stays exact.
    X, y = tied_data
    model = SymmetrizedRegressor(Ridge(), G, target="odd").fit(X, y)
    X_dask = da.from_array(X, chunks=(45, 9))
    y_dask = model.predict(X_dask).compute()
    assert np.allclose(y_dask, model.predict(X), rtol=1e-12, atol=1e-15)
    for g, s in zip(G, model.target_signs_, strict=True):
        g_dask = da.from_array(g(X), chunks=(45, 9))
        assert np.array_equal(model.predict(g_dask).compute(), s * y_dask)


def test_dask_array_of_the_wrong_width_is_refused(thread_cluster_client, tied_data):
    X, y = tied_data
    model = SymmetrizedRegressor(Ridge(), G).fit(X, y)
    with pytest.raises(ValueError, match="fitted on 9 features"):
        model.predict(da.zeros((10, 4), chunks=5))
