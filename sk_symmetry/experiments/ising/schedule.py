"""How ``sk-symmetry ising`` schedules its fits: folds, two rounds, dispatch.

A task is one fit: a model, a lattice size, a protocol (``"A"``, or ``"B"``
at a trial ``T*``) and a fold. The first round fits protocol A and a coarse
grid of trial ``T*``; the second adds the skipped ``T*`` near each coarse
confusion peak, so protocol B gets full resolution where its peak is without
being told ``T_c``.
"""

import time

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from ...metrics import make_symmetric_scorer
from .._fitting import budget_reached_is_expected
from .._runner import run_tasks
from .._seeds import MODEL_SEED
from .physics import TC, confusion_peak

__all__ = ["confusion_curve", "dispatch", "first_round", "second_round", "tasks_of"]


def _folds(data, n_folds):
    """Folds over chains such that every temperature is in every fold.

    Chain ``c`` of each temperature goes to fold ``c mod n_folds`` (the
    chains of one temperature are numbered consecutively by `make_ising`).
    """
    n_chains = np.bincount(data.groups).size // data.temperatures.size
    slot = data.groups % n_chains
    return list(GroupKFold(n_folds).split(data.data, groups=slot))


def _fit_fold(model, protocol, data, labels, train, test):
    """Fit on ``train``; probabilities of "ordered" on X and -X of ``test``."""
    estimator = model.build(
        data.image_shape, protocol.max_iter, protocol.alpha, MODEL_SEED
    )
    with budget_reached_is_expected():
        estimator.fit(data.data[train], labels[train])
    X_test = data.data[test]
    proba = estimator.predict_proba(X_test)[:, list(estimator.classes_).index(1)]
    inverted = make_symmetric_scorer("accuracy")(estimator, X_test, labels[test])
    return {
        "proba": proba,
        "proba_inverted": estimator.predict_proba(-X_test)[
            :, list(estimator.classes_).index(1)
        ],
        "inverted_accuracy": inverted,
    }



def _trial_temperatures(temperatures):
    """The trial T* of protocol B: midpoints of the temperature grid."""
    return (temperatures[:-1] + temperatures[1:]) / 2


def tasks_of(protocol, views, labellings):
    """Every fit of ``labellings``, a list of (model, L, kind, threshold)."""
    folds = {key: _folds(data, protocol.n_folds) for key, data in views.items()}
    return [
        (model, L, kind, threshold, fold, train, test)
        for model, L, kind, threshold in labellings
        for fold, (train, test) in enumerate(folds[(kind, L)])
    ]


def first_round(protocol, views):
    """Protocol A, and protocol B on every ``confusion_stride``-th trial T*."""
    labellings = []
    for L in protocol.sizes:
        data = views[("B", L)]
        coarse = _trial_temperatures(data.temperatures)[:: protocol.confusion_stride]
        for model in protocol.models:
            labellings.append((model, L, "A", TC))
            labellings.extend((model, L, "B", float(t)) for t in coarse)
    return labellings


def second_round(protocol, views, per):
    """The trial T* skipped by the first round, within one coarse step of
    each coarse confusion peak: full resolution where the peak is, found
    without knowing T_c."""
    labellings = []
    for L in protocol.sizes:
        data = views[("B", L)]
        every = _trial_temperatures(data.temperatures)
        stride = protocol.confusion_stride
        for model in protocol.models:
            curve = confusion_curve(per, model.name, data, L)
            peak = confusion_peak(*curve)
            near = np.abs(every - peak) <= stride * (every[1] - every[0])
            done = set(curve[0].tolist())
            labellings.extend(
                (model, L, "B", float(t)) for t in every[near] if float(t) not in done
            )
    return labellings


def _run_task(protocol, model, data, threshold, train, test):
    labels = (data.temperature < threshold).astype(np.int64)
    # One BLAS thread per fit: these products are thin, and on a busy
    # machine a threaded BLAS made an L = 32 fit 10-20x slower.
    start = time.process_time()
    with threadpool_limits(1, user_api="blas"):
        output = _fit_fold(model, protocol, data, labels, train, test)
    output["cpu_seconds"] = time.process_time() - start
    return output


def dispatch(protocol, views, tasks, n_jobs, progress):
    """Run ``tasks`` in parallel; return {(model, L, kind, T): [(test, out)]}."""
    # Larger lattices first, so that the longest fits do not come last.
    tasks = sorted(tasks, key=lambda task: -task[1])
    calls = [
        (protocol, model, views[(kind, L)], threshold, train, test)
        for model, L, kind, threshold, _, train, test in tasks
    ]

    def describe(index, _):
        model, L, kind, threshold, *_ = tasks[index]
        return f"fits (last: L={L} {model.name}, {kind} at T={threshold:.3f})"

    outputs = run_tasks(
        _run_task, calls, n_jobs=n_jobs, describe=describe, progress=progress,
        every=25,
    )
    per = {}
    for (model, L, kind, threshold, _, _, test), output in zip(
        tasks, outputs, strict=True
    ):
        per.setdefault((model.name, L, kind, threshold), []).append((test, output))
    return per



def confusion_curve(per, name, data, L):
    """Trial T*, mean accuracy over folds, and the majority-class baseline."""
    t_star = np.array(sorted(k[3] for k in per if k[:3] == (name, L, "B")))
    accuracy, majority = [], []
    for t in t_star:
        labels = (data.temperature < t).astype(int)
        scores = [
            accuracy_score(labels[test], (out["proba"] >= 0.5).astype(int))
            for test, out in per[(name, L, "B", t)]
        ]
        accuracy.append(float(np.mean(scores)))
        majority.append(max(labels.mean(), 1 - labels.mean()))
    return t_star, np.array(accuracy), np.array(majority)


