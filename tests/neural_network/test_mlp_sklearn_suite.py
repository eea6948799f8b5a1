"""scikit-learn's own `MLPRegressor` tests, run on `BiaslessMLPRegressor`.

The tests of ``sklearn/neural_network/tests/test_mlp.py`` that build an
`MLPRegressor` are called here with `MLPRegressor` replaced, in that module,
by `BiaslessMLPRegressor(fit_bias=True)` with `MLPRegressor`'s defaults
(relu, ``(100,)``, adam): the drop-in claim, checked by scikit-learn's own
expectations rather than ours.
"""

import ast
import importlib.util

import numpy as np
import pytest

from sk_symmetry import BiaslessMLPRegressor

sklearn_tests = pytest.importorskip("sklearn.neural_network.tests.test_mlp")


class MLPRegressorDefaults(BiaslessMLPRegressor):
    """`BiaslessMLPRegressor` with biases and `MLPRegressor`'s defaults."""

    def __init__(
        self, hidden_layer_sizes=(100,), activation="relu", *,
        loss="squared_error", fit_bias=True, solver="adam", alpha=1e-4,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001,
        power_t=0.5, max_iter=200, shuffle=True, random_state=None, tol=1e-4,
        verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
        early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
    ):
        super().__init__(
            hidden_layer_sizes, activation, loss=loss, fit_bias=fit_bias,
            solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle,
            random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1,
            beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
        )


def _regression_data():
    return sklearn_tests.regression_datasets[0]


# (test name, its arguments): every test of scikit-learn's file that builds an
# MLPRegressor, with the parametrisations that do.
CASES = [
    ("test_lbfgs_regression", lambda: dict(zip("Xy", _regression_data(),
                                               strict=True))),
    ("test_lbfgs_regression_maxfun", lambda: dict(zip("Xy", _regression_data(),
                                                      strict=True))),
    ("test_multioutput_regression", dict),
    ("test_partial_fit_regression", dict),
    ("test_nonfinite_params", dict),
    ("test_shuffle", dict),
    ("test_early_stopping", lambda: {"MLPEstimator": MLPRegressorDefaults}),
    ("test_warm_start_full_iteration",
     lambda: {"MLPEstimator": MLPRegressorDefaults}),
    ("test_mlp_regressor_dtypes_casting", dict),
    ("test_mlp_param_dtypes",
     lambda: {"dtype": np.float32, "Estimator": MLPRegressorDefaults}),
    ("test_mlp_param_dtypes",
     lambda: {"dtype": np.float64, "Estimator": MLPRegressorDefaults}),
    ("test_mlp_loading_from_joblib_partial_fit", lambda: {"tmp_path": None}),
    ("test_preserve_feature_names", lambda: {"Estimator": MLPRegressorDefaults}),
    ("test_mlp_warm_start_with_early_stopping",
     lambda: {"MLPEstimator": MLPRegressorDefaults}),
    *[("test_mlp_warm_start_no_convergence",
       lambda s=solver: {"MLPEstimator": MLPRegressorDefaults, "solver": s})
      for solver in ("sgd", "adam", "lbfgs")],
    ("test_mlp_partial_fit_after_fit",
     lambda: {"MLPEstimator": MLPRegressorDefaults}),
    ("test_mlp_diverging_loss", dict),
    ("test_mlp_sample_weight_with_early_stopping", dict),
    ("test_mlp_vs_poisson_glm_equivalent", lambda: {"global_random_seed": 42}),
    ("test_minimum_input_sample_size", dict),
]


def _case_id(case):
    name, arguments = case
    extra = [
        v if isinstance(v, str) else np.dtype(v).name
        for k, v in arguments().items() if k in ("solver", "dtype")
    ]
    return "-".join([name.removeprefix("test_"), *extra])


def test_every_regressor_test_of_scikit_learn_is_listed():
    # A new scikit-learn test that builds an MLPRegressor shows up here.
    with open(importlib.util.find_spec(sklearn_tests.__name__).origin) as f:
        tree = ast.parse(f.read())
    using = {
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        and "MLPRegressor" in ast.unparse(node)  # decorators included
    }
    assert using == {name for name, _ in CASES}
    assert len(CASES) == 22


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_scikit_learn_regressor_test_passes(case, monkeypatch, tmp_path):
    name, arguments = case
    arguments = arguments()
    if "tmp_path" in arguments:
        arguments["tmp_path"] = tmp_path
    monkeypatch.setattr(sklearn_tests, "MLPRegressor", MLPRegressorDefaults)
    getattr(sklearn_tests, name)(**arguments)
