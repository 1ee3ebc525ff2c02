"""Make ``pickles_skgen_<version>.pkl``: one fitted model per estimator, and its scores.

Run with the *old* release on the path, e.g. from a worktree of that commit:
``PYTHONPATH=<worktree> python tests/data/make_old_pickles.py out.pkl``.
"""

import pickle
import sys
import warnings

import numpy as np


def main(path):
    from skgen.testing import estimator_test_instances

    warnings.filterwarnings("ignore")
    X = np.random.RandomState(0).normal(size=(120, 2))
    out = {}
    for est in estimator_test_instances():
        name = type(est).__name__
        try:
            if name == "CharacterLanguageModel":
                est.fit(["abba", "bab", "ab"] * 20)
            elif name == "Dequantizer":
                est.fit(np.abs(np.round(X * 3)))
            else:
                est.fit(X)
            ref = None
            if hasattr(est, "score_samples") and name not in ("CharacterLanguageModel",):
                try:
                    ref = est.score_samples(np.abs(np.round(X[:5] * 3)) if name == "Dequantizer" else X[:5])
                except Exception:
                    ref = None
            out[name] = (pickle.dumps(est), ref)
        except Exception as e:
            print("skip", name, type(e).__name__, e)
    pickle.dump(out, open(path, "wb"))
    print(sorted(out))


if __name__ == "__main__":
    main(sys.argv[1])
