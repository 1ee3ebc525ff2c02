"""The base of the true distributions paired with skgen's data generators."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_random_state

from ..base import GenerativeMixin, _check_n_samples

__all__ = []


class _TrueDistribution(GenerativeMixin, BaseEstimator):
    """A known distribution that follows the generative protocol.

    Each data generator of :mod:`skgen.datasets` (``make_checkerboard``,
    ``make_world_map``, ...) draws from one of these, and the object answers
    ``score_samples`` (the *exact* log-density, ``-inf`` outside the support),
    ``score`` (its mean) and ``sample`` the way a fitted skgen estimator does.
    It is the oracle against which fitted models are measured: the best
    achievable held-out log-likelihood is ``score`` of the true distribution
    on the same data.

    Design decision: a true distribution is *born fitted*. It has nothing to
    learn, yet it has ``fit(X=None, y=None)``, which checks its parameters and,
    when given, the shape of ``X``, and returns ``self`` unchanged. So it can
    stand where an estimator is expected: ``cross_val_score(EightGaussians(), X)``
    gives the true held-out log-likelihood, the ceiling for every model in the
    same comparison. It is *not* listed by :func:`skgen.utils.all_estimators`
    and does not pass scikit-learn's estimator checks, which demand that
    ``fit`` learns from its data.

    Subclasses set ``n_features_in_`` (a class attribute) and implement
    ``_log_density(X)`` for validated float64 ``X`` and ``_sample(n_samples,
    rng)`` returning a float64 array; ``_feature_names`` may name the columns,
    in which case a DataFrame with those columns is read by name.
    """

    likelihood_kind = "exact"
    n_features_in_ = 2
    _feature_names = None

    def fit(self, X=None, y=None):
        """Check the parameters and return ``self``; a true distribution learns nothing.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_), default=None
            Ignored except for validation of its shape and values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The distribution, unchanged.
        """
        self._validate_params()
        if X is not None:
            self._validate_X(X)
        return self

    def __sklearn_is_fitted__(self):
        return True

    def score_samples(self, X, y=None):
        """Exact log-density of each row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features_in_)
            Points to evaluate. No NaN or infinite values.
        y : None
            Not accepted: these distributions are unconditional.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log p(x)`` (natural log); ``-inf`` outside the support.
        """
        self._validate_params()
        _check_no_y(y, type(self).__name__)
        X = self._validate_X(X)
        with np.errstate(divide="ignore", under="ignore"):
            out = np.asarray(self._log_density(X), dtype=np.float64)
        return out

    def sample(self, n_samples=1, *, y=None, random_state=None):
        """Draw exact samples.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw (at least 1).
        y : None
            Not accepted: these distributions are unconditional.
        random_state : int, RandomState instance or None, default=None
            Seed; ``None`` uses numpy's global random state.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_in_)
            Independent draws, in random order.
        """
        self._validate_params()
        _check_no_y(y, type(self).__name__)
        n_samples = _check_n_samples(n_samples)
        rng = check_random_state(random_state)
        return np.asarray(self._sample(n_samples, rng), dtype=np.float64)

    def _validate_X(self, X):
        names = self._feature_names
        if (
            names is not None
            and isinstance(X, pd.DataFrame)
            and set(names).issubset(map(str, X.columns))
        ):
            X = X[list(names)]
        X = check_array(X, dtype=np.float64, ensure_all_finite=True, input_name="X")
        if X.shape[1] != self.n_features_in_:
            cols = f" ({', '.join(names)})" if names is not None else ""
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is a "
                f"distribution on {self.n_features_in_} features{cols}."
            )
        return X

    def _log_density(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n_samples, rng):  # pragma: no cover - abstract
        raise NotImplementedError


def _check_no_y(y, name):
    if y is not None:
        raise ValueError(
            f"{name} is an unconditional distribution: it does not accept y."
        )


def _generate(distribution, n_samples, random_state, return_distribution):
    """Shared body of the ``make_*`` functions."""
    X = distribution.sample(n_samples, random_state=random_state)
    return (X, distribution) if return_distribution else X
