"""The shared docstring fragments: filled where they are named, nowhere left
as a placeholder."""

import inspect
import re

import pytest

import sk_symmetry
from sk_symmetry._docstrings import _FRAGMENTS, fill_doc

PLACEHOLDER = re.compile(r"^\s*\{[A-Za-z_]\w*\}\s*$", re.MULTILINE)


def test_fill_doc_indents_the_fragment_as_its_placeholder():
    def f():
        """Summary.

        Attributes
        ----------
        {input_feature_attributes}

        {"not": "a placeholder"}
        """

    doc = fill_doc(f).__doc__
    assert "        n_features_in_ : int\n            Number of features" in doc
    assert "\n\n        feature_names_in_ :" in doc  # a blank line stays blank
    assert '        {"not": "a placeholder"}\n' in doc
    assert not PLACEHOLDER.search(doc)


def test_fill_doc_refuses_an_unknown_fragment():
    def f():
        """Summary.

        {no_such_fragment}
        """

    with pytest.raises(KeyError, match="no_such_fragment"):
        fill_doc(f)


def test_fill_doc_fills_a_fragments_fields_from_its_keywords():
    def f():
        """Summary.

        Attributes
        ----------
        {mlp_training_attributes}
        """

    doc = fill_doc(score="R^2")(f).__doc__
    assert "            Held-out R^2 after each epoch with early stopping" in doc
    assert "$" not in doc


def test_fill_doc_refuses_a_missing_field():
    def f():
        """Summary.

        {mlp_training_attributes}
        """

    with pytest.raises(KeyError, match="score"):
        fill_doc(f)


def test_no_public_docstring_keeps_a_placeholder():
    docs = []
    for name in sk_symmetry.__all__:
        obj = getattr(sk_symmetry, name)
        docs.append(obj.__doc__ or "")
        if inspect.isclass(obj):
            docs.extend(
                member.__doc__ or ""
                for _, member in inspect.getmembers(obj, callable)
            )
    assert len(docs) > 20
    assert [doc for doc in docs if PLACEHOLDER.search(doc)] == []
    assert [doc for doc in docs if re.search(r"\$[a-z]", doc)] == []
    # and the fragments are in use
    text = "\n".join(docs)
    assert all(fragment.splitlines()[-1] in text for fragment in _FRAGMENTS.values())
