"""`InvariantCNNRegressor`: a convolutional network whose predictions are
exactly invariant under a group, or change sign with it."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .._compat import StrOptions
from .._docstrings import fill_doc
from ._cnn_base import BaseInvariantCNN
from ._network_base import NetworkRegressorMixin, store_arguments

__all__ = ["InvariantCNNRegressor"]


@fill_doc(loss="half the squared error", score="R^2")
class InvariantCNNRegressor(RegressorMixin, NetworkRegressorMixin, BaseInvariantCNN):
    """Convolutional network regressor, exactly invariant (or odd) under a group.

    The network of `InvariantCNNClassifier` with a linear output and the
    squared error. With ``target="invariant"`` the features are pooled over
    each row's orbit before the dense head, and ``predict(g(X)) ==
    predict(X)`` bit for bit for every element ``g``. With a target that
    changes sign (``"odd"``, or a sign per element), the head runs on every
    image of the orbit and the outputs are averaged with the elements' signs
    (the Reynolds operator of that character): ``predict(g(X)) == s_g *
    predict(X)`` exactly, for every element.

    Parameters
    ----------
    {cnn_parameters}

    target : {"invariant", "odd"} or callable, default="invariant"
        How ``y`` changes when ``X`` becomes ``g(X)``, as the scorers of
        `make_symmetric_scorer` take it: unchanged; ``"odd"``, negated by
        the elements that negate every pixel (inversion, alone or after a
        permutation) and unchanged by pure permutations; or a callable
        ``element -> +1 or -1``. The signs must be a character of the group
        (``s_gh = s_g s_h``), else `fit` raises: no function could satisfy
        them. An element that negates only some pixels has no sign under
        ``"odd"``. With a target that changes sign, ``group_pooling`` does
        not apply: the outputs are averaged with the signs.

    Attributes
    ----------
    {cnn_attributes}

    n_outputs_ : int
        Number of outputs.

    {input_feature_attributes}

    See Also
    --------
    InvariantCNNClassifier : The same network for classification.
    BiaslessMLPRegressor : Odd under inversion through the paper's biasless
        tanh network.

    Notes
    -----
    A target that changes sign is refused with ``even_first_layer=True``
    (an even network cannot be odd under inversion); "auto" switches the
    even layer off, and the whole orbit is run.

    Where ``g x = x`` for an element with ``s_g = -1`` (a constant image
    under ``"odd"`` has ``-x != x``, but an image fixed by a sign-changing
    permutation does), the prediction is exactly 0, as it must be.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import InvariantCNNRegressor, SymmetryGroup
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(50, 8))
    >>> y = X.sum(axis=1) ** 3
    >>> G = SymmetryGroup.translations((8,)) * SymmetryGroup.inversion()
    >>> reg = InvariantCNNRegressor(G, target="odd", max_iter=3,
    ...                             random_state=0).fit(X, y)
    >>> bool(np.array_equal(reg.predict(-X), -reg.predict(X)))
    True
    """

    _parameter_constraints: dict = {
        **BaseInvariantCNN._parameter_constraints,
        "target": [StrOptions({"invariant", "odd"}), callable],
    }
    _multi_output = True
    _y_numeric = True
    _loss = "squared_error"

    def __init__(
        self, symmetry=None, *, target="invariant", image_shape=None,
        conv_channels=None, kernel_size=3, dilation=1, padding="same",
        spatial_pooling="max", global_pooling="flatten", group_pooling="max",
        even_first_layer="auto", hidden_layer_sizes=(64,), activation="relu",
        fit_bias=True, solver="adam", alpha=1e-4, batch_size=32,
        learning_rate="constant", learning_rate_init=1e-3, power_t=0.5,
        max_iter=15, shuffle=True, random_state=None, tol=1e-4, verbose=False,
        warm_start=False, momentum=0.9, nesterovs_momentum=True,
        early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, n_iter_no_change=10, dtype="float32", trunk="orbit",
        augmentation=None, batch_norm=False,
    ):
        store_arguments(self, locals())

    # ------------------------------------------------------------ public API
    @fill_doc
    def predict(self, X):
        """Predicted values: ``predict(g(X)) == s_g * predict(X)`` exactly.

        {cnn_predict_parameters}
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out = self._raw_output(self._validate_X(X))
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = self._poor_score()
        return tags

    # -------------------------------------------------------------- helpers
    @property
    def _n_outputs(self):
        return self.n_outputs_

    def _prepare_targets(self, y, incremental, first_pass):
        y = np.asarray(y)
        Y = y.reshape(len(y), -1).astype(self.dtype)
        if first_pass:
            self.n_outputs_ = Y.shape[1]
            self._y_1d = y.ndim == 1
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs; the previous fit had "
                f"{self.n_outputs_}."
            )
        return Y

    def _element_signs(self, group, perms, signs):
        """The sign of the output under each element, or None when all are
        +1; checked to be a character of the group."""
        target = self.target
        if isinstance(target, str) and target == "invariant":
            return None
        out = np.empty(len(perms))
        elements = list(group)
        for index, (perm_signs, element) in enumerate(
            zip(signs, elements, strict=True)
        ):
            if isinstance(target, str):  # "odd"
                values = np.unique(perm_signs)
                if values.size != 1:
                    raise ValueError(
                        f"target='odd' is ambiguous for the element "
                        f"{element.name!r}, which negates some pixels only. "
                        "Pass target as a callable element -> +1 or -1."
                    )
                out[index] = values[0]
            else:
                sign = target(element)
                if isinstance(sign, bool) or sign not in (1, -1):
                    raise ValueError(
                        f"target({element.name}) must be +1 or -1; got {sign!r}."
                    )
                out[index] = sign
        if (out == 1).all():
            return None
        _check_character(perms, signs, out, group)
        return out

    def _stratify(self, y):
        return None

    def _validation_score(self, X_val, y_val, sample_weight):
        pred = self._raw_output(X_val)
        return r2_score(y_val, pred[:, 0] if self._y_1d else pred,
                        sample_weight=sample_weight)


def _check_character(perms, signs, values, group):
    """Raise unless ``values[g h] == values[g] * values[h]``: checked for
    every element ``g`` and generator ``h``, which covers all products."""
    index = {p.tobytes() + s.tobytes(): i
             for i, (p, s) in enumerate(zip(perms, signs, strict=True))}
    if values[0] != 1:
        raise ValueError(
            "target maps the identity element to -1; the output cannot change "
            "when the image does not."
        )
    elements = list(group)
    generators = [
        index[g.perm.tobytes() + g.sign.astype(signs.dtype).tobytes()]
        for g in group.generators
    ]
    for i in range(len(perms)):
        for j in generators:
            # (g_j after g_i)(x) = s_j * s_i[p_j] * x[p_i[p_j]]
            perm = perms[i][perms[j]]
            sign = signs[j] * signs[i][perms[j]]
            k = index[perm.tobytes() + sign.tobytes()]
            if values[k] != values[i] * values[j]:
                raise ValueError(
                    "target's signs are not a character of the group: "
                    f"{elements[j].name} after {elements[i].name} should give "
                    f"{values[i] * values[j]:+.0f}, not {values[k]:+.0f}. No "
                    "function of the images can change sign that way."
                )
