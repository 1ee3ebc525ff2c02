"""Models pickled by skgen 0.1 (before the driver refactor and renames) still load.

``tests/data/pickles_skgen_0.1.0.dev0.pkl`` holds, per estimator, a model of
``TEST_PARAMS`` fitted on 120 rows of 2-D normal data by the previous release,
with its ``score_samples`` of five rows. It was made once with
``tests/data/make_old_pickles.py`` from commit feea08e; it is a trusted
test fixture (never unpickle files you did not make).
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

_FIXTURE = Path(__file__).parent / "data" / "pickles_skgen_0.1.0.dev0.pkl"
_OLD = pickle.loads(_FIXTURE.read_bytes())
#: Monte Carlo scores whose draws changed: the VAE's importance draws now come
#: from the shared hashed noise of skgen.nn.
_NEW_DRAWS = {"VAE"}


@pytest.mark.parametrize("name", sorted(_OLD))
def test_old_pickles_load_score_and_sample(name):
    blob, ref = _OLD[name]
    X = np.random.RandomState(0).normal(size=(120, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # no deprecated alias is left set
        est = pickle.loads(blob)
        est.get_params()  # every parameter of today's signature is there
        if ref is not None:
            Xs = np.abs(np.round(X[:5] * 3)) if name == "Dequantizer" else X[:5]
            scores = est.score_samples(Xs)
            if name in _NEW_DRAWS:
                assert np.all(np.isfinite(scores))
            else:
                np.testing.assert_allclose(scores, ref, rtol=1e-6, atol=1e-8)
        if name == "CharacterLanguageModel":
            assert len(est.sample(2, random_state=0)) == 2
        elif hasattr(est, "sample"):
            assert np.all(np.isfinite(np.asarray(est.sample(3, random_state=0), dtype=float)))
