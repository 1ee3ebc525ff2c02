"""Fuzzing every estimator with the awkward data real tables contain.

For each density estimator of skgen, hypothesis draws data with extreme
scales and offsets, duplicated and constant columns, one to three rows, more
features than rows, float16/float32, integers, booleans and DataFrames
(:func:`skgen.testing.strategies.hostile_data`). Whatever it draws, the
estimator either refuses it with a clear ``ValueError`` (deep models may
also stop with the ``FloatingPointError`` of diverged training), or fits it,
gives every training row a finite log-density (training rows lie where the
fitted density is positive), never NaN or ``+inf``, and draws finite rows.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from skgen.base import get_likelihood_kind
from skgen.nn import BaseDeepGenerative
from skgen.testing import estimator_test_instances
from skgen.testing.strategies import hostile_data

INSTANCES = [est for est in estimator_test_instances(type_filter="density")
             if type(est).__name__ not in ("CharacterLanguageModel",)]  # strings only


def _clear(exc):
    return len(str(exc)) > 20


@pytest.mark.parametrize("template", INSTANCES, ids=lambda e: type(e).__name__)
def test_fuzz_fit_score_sample(template):
    from sklearn.base import clone

    deep = isinstance(template, BaseDeepGenerative)

    @settings(max_examples=6 if deep else 40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(X=hostile_data())
    def run(X):
        est = clone(template)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                est.fit(X)
            except ValueError as exc:
                assert _clear(exc), repr(exc)
                return
            except FloatingPointError as exc:  # diverged training, said clearly
                assert deep and "learning_rate" in str(exc), repr(exc)
                return
            if get_likelihood_kind(est) != "none":
                scores = est.score_samples(X)
                assert not np.isnan(scores).any(), scores
                assert not np.isposinf(scores).any(), scores
                assert np.isfinite(scores).all(), scores  # training rows: density > 0
            draws = np.asarray(est.sample(5, random_state=0), dtype=np.float64)
            assert np.isfinite(draws).all()

    run()
