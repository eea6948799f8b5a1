"""Deep-learning peers of ``sk-symmetry benchmark``: two PyTorch CNNs as classifiers.

- `EscnnD4Classifier`: a D4-equivariant steerable CNN built with escnn, pooled
  over the group at the end, trained on ``X`` and ``-X`` (the field's tool for
  rotation and reflection symmetry on the pixel grid);
- `TorchCNNClassifier`: a plain CNN of about the same size, which the benchmark
  trains on the whole orbit of the training images (the standard practice).

Both are scikit-learn classifiers (``fit``, ``predict``, ``predict_proba``,
``random_state``) for rows of flattened one-channel images. torch and escnn
are not dependencies of sk_symmetry: they come with the ``[deep-peers]``
extra (several GB with torch's libraries, so CI does not install it) and are
imported only when a model is fitted, through `import_optional`, so that this
module imports anywhere and a missing package names the extra.

Installing, as done for the benchmark's measurement (a separate venv, CPU
only): ``pip install torch==2.13.0``, then ``pip install -e ".[benchmark]"``
and ``pip install escnn`` (its dependency py3nj needs a Fortran compiler,
Debian's gfortran). escnn 1.0.11 brings lie_learn 0.0.2, whose wheel was
compiled for numpy 1 and pins ``numpy<2``; reinstall numpy 2 beside it
(mlxtend 0.25 needs ``numpy>=2.3.5``) and rebuild lie_learn from its
repository (github.com/AMLab-Amsterdam/lie_learn, whose main branch builds
against numpy 2) with ``pip install --no-build-isolation --no-deps .``,
copying its two ``pinchon_hoggan/J_*_0-150.npy`` data files beside the
installed module if the build leaves them out.

Training is the same for both: Adam on the cross-entropy, mini-batches drawn
in an order fixed by ``random_state``, the learning rate annealed to zero on
a cosine over the whole run, torch limited to ``n_threads`` threads (1 by
default, as every fit of the benchmark runs on one thread) during ``fit`` and
``predict``.
"""

import math
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state

from ..._compat import Interval, _fit_context, check_is_fitted, validate_data
from ..._optional import import_optional

__all__ = ["EscnnD4Classifier", "TorchCNNClassifier"]

EXTRA = "deep-peers"

# Rows scored per forward pass in predict: bounds the activations' memory.
_PREDICT_BATCH = 500


def _import(module, purpose):
    return import_optional(module, extra=EXTRA, purpose=purpose)


@contextmanager
def _torch_threads(torch, n_threads):
    """torch's intra-op threads set to ``n_threads`` inside the block."""
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _TorchImageClassifier(ClassifierMixin, BaseEstimator):
    """What both peers share: validation, the training loop, prediction.

    A subclass gives ``_purpose`` (for the import message), ``_build(torch,
    n_classes)``, which returns a ``torch.nn.Module`` mapping images of shape
    ``(n, 1, height, width)`` to one logit per class, and may override
    ``_training_set(X, y)``.
    """

    _parameter_constraints: dict = {
        "image_shape": [tuple, list],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "n_threads": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
    _purpose = "a PyTorch peer of sk-symmetry benchmark"

    def __init__(self, *, image_shape=(28, 28), max_iter=15, batch_size=64,
                 learning_rate_init=3e-3, n_threads=1, random_state=None):
        self.image_shape = image_shape
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.n_threads = n_threads
        self.random_state = random_state

    def _images(self, X, torch):
        """Rows as a float32 tensor of shape (n, 1, height, width)."""
        images = np.ascontiguousarray(X, dtype=np.float32)
        return torch.from_numpy(images.reshape(len(X), 1, *self._shape))

    def _check_shape(self, n_features):
        shape = tuple(self.image_shape)
        if len(shape) != 2 or any(
            not isinstance(n, Integral) or n < 1 for n in shape
        ):
            raise ValueError(
                "image_shape must be two positive integers (height, width); got "
                f"{self.image_shape!r}."
            )
        if shape[0] * shape[1] != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} has {shape[0] * shape[1]} "
                f"pixels, but X has {n_features} features."
            )
        return shape

    def _training_set(self, X, y):
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network from scratch.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width)
            Images, one per row, read in C order as ``image_shape``.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        X, y = validate_data(self, X, y)
        self._shape = self._check_shape(X.shape[1])
        torch = _import("torch", self._purpose)
        self.classes_, codes = np.unique(y, return_inverse=True)
        X_train, codes = self._training_set(X, codes)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        with _torch_threads(torch, self.n_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.network_ = self._build(torch, len(self.classes_))
            self.loss_curve_ = self._train(
                torch, self._images(X_train, torch), torch.from_numpy(codes), seed
            )
        self.network_.eval()
        return self

    def _train(self, torch, images, targets, seed):
        """Adam over shuffled mini-batches for ``max_iter`` epochs; the mean
        loss of each epoch."""
        network = self.network_
        network.train()
        n = len(images)
        steps = self.max_iter * math.ceil(n / self.batch_size)
        optimizer = torch.optim.Adam(network.parameters(), lr=self.learning_rate_init)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
        order = torch.Generator().manual_seed(seed)
        loss_function = torch.nn.CrossEntropyLoss()
        curve = []
        for _ in range(self.max_iter):
            total = 0.0
            for batch in torch.randperm(n, generator=order).split(self.batch_size):
                loss = loss_function(network(images[batch]), targets[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                total += float(loss.detach()) * len(batch)
            curve.append(total / n)
        return curve

    def predict_proba(self, X):
        """Class probabilities (the softmax of the network's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width)
            Images, one per row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, in the order of ``classes_``.
        """
        check_is_fitted(self)
        torch = _import("torch", self._purpose)
        X = validate_data(self, X, reset=False)
        images = self._images(X, torch)
        with _torch_threads(torch, self.n_threads), torch.no_grad():
            proba = [
                torch.softmax(self.network_(batch), dim=1)
                for batch in images.split(_PREDICT_BATCH)
            ]
        return torch.cat(proba).numpy().astype(np.float64)

    def predict(self, X):
        """The label of the largest of `predict_proba`'s probabilities for each
        row of ``X``: an ndarray of shape (n_samples,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _parameters_doc(epochs):
    """The sections of the docstring the two peers share; ``epochs`` ends
    the line on ``max_iter``."""
    return f"""
    Parameters
    ----------
    image_shape : tuple of int, default=(28, 28)
        ``(height, width)`` of the images, read from each row in C order.
    max_iter : int, default=15
        Epochs{epochs}.
    batch_size : int, default=64
        Images per Adam step.
    learning_rate_init : float, default=3e-3
        Adam's step at the start, annealed to zero on a cosine.
    n_threads : int, default=1
        torch's threads during ``fit`` and ``predict`` (restored afterwards).
    random_state : int, RandomState instance or None, default=None
        Seeds the weights and the order of the mini-batches.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    network_ : torch.nn.Module
        The trained network (in evaluation mode).
    loss_curve_ : list of float
        Mean training loss of each epoch.
    n_features_in_ : int
    """


class TorchCNNClassifier(_TorchImageClassifier):
    __doc__ = """A plain PyTorch CNN of about 12,000 parameters (no symmetry built in).

    Four convolution blocks, each a convolution ("same" padding), batch
    normalisation and ReLU: 8 channels with 5 x 5 kernels at full resolution,
    then 2 x 2 max pooling, 16 and 24 channels with 3 x 3 kernels, pooling
    again, 32 channels with 3 x 3 kernels; the channels are averaged over the
    image and a linear layer gives the logits. The benchmark wraps it in
    `~sk_symmetry.augmentation.OrbitAugmentedClassifier` to train it on every
    ``g(X)`` of the group.

    """ + _parameters_doc("")

    _purpose = "TorchCNNClassifier (a peer of sk-symmetry benchmark)"

    def _build(self, torch, n_classes):
        nn = torch.nn
        layers, width = [], 1
        for channels, kernel, pool in ((8, 5, True), (16, 3, False),
                                       (24, 3, True), (32, 3, False)):
            layers += [
                nn.Conv2d(width, channels, kernel, padding=kernel // 2, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
            ]
            if pool:
                layers.append(nn.MaxPool2d(2))
            width = channels
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, n_classes)]
        return nn.Sequential(*layers)


class EscnnD4Classifier(_TorchImageClassifier):
    __doc__ = """A D4-equivariant steerable CNN (escnn) of about 10,000 parameters.

    The group is D4, the four quarter turns and four reflections of the square
    pixel grid (escnn's ``flipRot2dOnR2(N=4)``). The image enters as one
    invariant (trivial) field. Four steerable blocks follow, each an
    equivariant convolution whose filters are tied by the group (escnn solves
    for a basis of the filters that commute with the group action), batch
    normalisation per field and ReLU; every hidden field carries D4's regular
    representation (8 channels, one per element, which the group permutes).
    Block one maps the image to 4 regular fields with 5 x 5 filters at full
    resolution, then 2 x 2 max pooling; blocks two and three have 8 fields and
    3 x 3 filters, then pooling again; block four has 12 fields. Taking the
    maximum over each field's 8 channels makes 12 invariant channels, averaged
    over the image, and a small dense head (32 ReLU units, then the logits)
    classifies. On a square image whose side is a multiple of 4 (28 here), the
    two poolings' windows map onto each other under the group, so the network
    is invariant under D4 up to floating-point rounding (about 1e-7 in the
    probabilities). Inversion (``-X``) is not built in: the network is
    trained on ``X`` and ``-X``, as issue 29's measurement was.

    escnn 1.0.11 hands a ``numpy.matrix`` to scikit-learn's `randomized_svd`
    when it solves for the filters, which scikit-learn 1.2 and later refuse
    (escnn issue #112); escnn falls back on SciPy's exact SVD when
    `randomized_svd` is None, so ``fit`` sets it so. That also makes the
    filter basis the same in every run.

    """ + _parameters_doc(" (each over ``X`` and ``-X``)")

    _purpose = "EscnnD4Classifier (a peer of sk-symmetry benchmark)"

    def _training_set(self, X, y):
        return np.concatenate([X, -X]), np.concatenate([y, y])

    def _build(self, torch, n_classes):
        numerical = _import("escnn.group._numerical", self._purpose)
        numerical.randomized_svd = None  # escnn issue #112, see the docstring
        gspaces = _import("escnn.gspaces", self._purpose)
        enn = _import("escnn.nn", self._purpose)
        space = gspaces.flipRot2dOnR2(N=4)
        field = enn.FieldType(space, [space.trivial_repr])
        layers = []
        for n_fields, kernel, pool in ((4, 5, True), (8, 3, False),
                                       (8, 3, True), (12, 3, False)):
            out = enn.FieldType(space, n_fields * [space.regular_repr])
            layers += [
                enn.R2Conv(field, out, kernel, padding=kernel // 2, bias=False),
                enn.InnerBatchNorm(out),
                enn.ReLU(out),
            ]
            if pool:
                layers.append(enn.PointwiseMaxPool2D(out, 2))
            field = out
        layers.append(enn.GroupPooling(field))
        head = torch.nn.Sequential(
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
            torch.nn.Linear(layers[-1].out_type.size, 32), torch.nn.ReLU(),
            torch.nn.Linear(32, n_classes),
        )
        return _steerable_module(torch, enn.SequentialModule(*layers), head)


def _steerable_module(torch, body, head):
    """A torch module: tensor in, ``body`` on escnn's geometric tensor, the
    plain ``head`` on its tensor."""

    class Steerable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.head = body, head

        def forward(self, images):
            geometric = body.in_type(images)  # wraps the tensor, no copy
            return self.head(self.body(geometric).tensor)

    return Steerable()
