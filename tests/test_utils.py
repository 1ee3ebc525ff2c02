"""skgen.utils: estimator discovery and bounded-memory chunking."""

import pytest

import skgen.utils
from skgen.base import LIKELIHOOD_KINDS
from skgen.utils import all_estimators


def test_utils_docstring_names_what_the_package_holds():
    doc = skgen.utils.__doc__
    for name in skgen.utils.__all__:
        assert name in doc, f"skgen.utils' docstring does not mention {name}"


def test_every_density_estimator_declares_a_likelihood_kind():
    # The user guide prints ``cls.likelihood_kind`` for each listed class; the
    # unfiltered list also holds transformers (Invertible), which have none.
    listed = all_estimators(type_filter="density")
    assert listed
    for name, cls in listed:
        assert cls.likelihood_kind in LIKELIHOOD_KINDS, name
    assert "Invertible" in dict(all_estimators())
    assert "Invertible" not in dict(listed)


def test_type_filter_accepts_a_list_as_scikit_learn_does():
    density = dict(all_estimators(type_filter="density"))
    transformer = dict(all_estimators(type_filter="transformer"))
    both = dict(all_estimators(type_filter=["density", "transformer"]))
    assert both == {**density, **transformer}
    assert [name for name, _ in all_estimators(type_filter=("transformer",))] == sorted(
        transformer)
    with pytest.raises(ValueError, match="type_filter must be one of"):
        all_estimators(type_filter=["density", "regressor"])
    with pytest.raises(ValueError, match="type_filter must be one of"):
        all_estimators(type_filter=[])
