"""Looking through the wrappers around the model that makes the predictions."""

from ..augmentation import OrbitAugmentedClassifier

__all__ = ["_describe_chain", "_model_chain"]


def _model_chain(estimator):
    """The estimators a prediction passes through, outermost first.

    Follows the last step of a `Pipeline`, the ``estimator_`` of a fitted
    `OrbitAugmentedClassifier` and the ``best_estimator_`` of a refitted search
    (`GridSearchCV`, `RandomizedSearchCV`, ...), nested in any order. Each of
    them predicts exactly as the next one in the chain does on the data it is
    handed (for a Pipeline: after its earlier steps have transformed it).
    """
    chain = [estimator]
    model = estimator
    while True:
        steps = getattr(model, "steps", None)
        if steps is not None:
            model = steps[-1][1]
        elif isinstance(model, OrbitAugmentedClassifier) and hasattr(
            model, "estimator_"
        ):
            model = model.estimator_
        elif hasattr(model, "best_estimator_"):
            model = model.best_estimator_
        else:
            return chain
        chain.append(model)


def _describe_chain(chain):
    """``"GridSearchCV > Pipeline[scale, clf] > LogisticRegression"``."""
    parts = []
    for model in chain:
        name = model if isinstance(model, str) else type(model).__name__
        steps = getattr(model, "steps", None)
        if steps is not None:
            name += "[" + ", ".join(step_name for step_name, _ in steps) + "]"
        parts.append(name)
    return " > ".join(parts)
