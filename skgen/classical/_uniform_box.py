"""The lecture's first model: a uniform density on an axis-aligned box."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ..base import BaseGenerative, ExactQuestionsMixin

__all__ = ["UniformBox"]


class UniformBox(ExactQuestionsMixin, BaseGenerative):
    """Uniform density on the smallest axis-aligned box holding the data.

    The maximum-likelihood box: the likelihood ``prod_i 1/volume`` grows as the
    box shrinks, and every training point must lie inside, so the optimum is
    the box spanned by the per-feature minimum and maximum. Its four
    parameters in 2-D are the lecture's example of a parametric model.

    Parameters
    ----------
    min_width : float, default=0.0
        A feature whose training values span less than ``min_width`` is
        widened symmetrically to ``min_width``. With the default ``0`` such a
        feature (a constant column) raises a ``ValueError`` at ``fit``: its MLE
        box has zero volume and the density would be infinite.
    random_state : int, RandomState instance or None, default=None
        Seed for :meth:`sample`.

    Attributes
    ----------
    low_ : ndarray of shape (n_features,)
        Lower corner of the box.
    high_ : ndarray of shape (n_features,)
        Upper corner of the box.
    log_volume_ : float
        ``log(prod(high_ - low_))``; ``score_samples`` is ``-log_volume_``
        inside the box.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    Notes
    -----
    Missing values (NaN) in ``score_samples`` are marginalized exactly: a row
    scores the uniform density of the sub-box of its observed features.
    :meth:`marginal` is that sub-box, :meth:`conditional` the slice (the
    sub-box of the modelled features, when the observed values lie inside
    the box). ``fit`` refuses NaN.

    See Also
    --------
    skgen.classical.Gaussian : the next simplest density.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import UniformBox
    >>> X = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 0.5]])
    >>> box = UniformBox().fit(X)
    >>> box.low_, box.high_
    (array([0., 0.]), array([2., 1.]))
    >>> box.score_samples([[1.0, 0.5], [3.0, 0.5]])
    array([-0.69314718,        -inf])
    """

    _parameter_constraints = {
        "min_width": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, min_width=0.0, random_state=None):
        self.min_width = min_width
        self.random_state = random_state

    def _fit(self, X, y):
        if self.min_width == 0 and X.shape[0] == 1:
            raise ValueError(
                "UniformBox needs at least 2 rows to span a box of positive volume, "
                "got n_samples=1; or set min_width > 0."
            )
        low, high = X.min(axis=0), X.max(axis=0)
        width = high - low
        narrow = width < self.min_width
        if self.min_width == 0 and np.any(width == 0):
            cols = np.flatnonzero(width == 0).tolist()
            raise ValueError(
                f"Feature(s) {cols} are constant: the maximum-likelihood box has "
                "zero volume there and the density would be infinite. Drop these "
                "features or set min_width > 0."
            )
        pad = np.where(narrow, (self.min_width - width) / 2, 0.0)
        self.low_, self.high_ = low - pad, high + pad
        self.log_volume_ = float(np.sum(np.log(self.high_ - self.low_)))
        return self

    def _validate_X(self, X, *, reset):
        X = super()._validate_X(X, reset=reset)
        if reset and np.isnan(X).any():
            raise ValueError(
                "Input X contains NaN. UniformBox marginalizes missing values in "
                "score_samples but fits on complete rows only; drop incomplete rows, or "
                "fit skgen.classical.Gaussian or GaussianMixture (EM with missing values)."
            )
        return X

    def _marginal(self, cols):
        out = UniformBox(**self.get_params())
        out.low_, out.high_ = self.low_[cols], self.high_[cols]
        out.log_volume_ = float(np.sum(np.log(out.high_ - out.low_)))
        return out

    def _conditional(self, A, B, a):
        if not np.all((a >= self.low_[A]) & (a <= self.high_[A])):
            raise ValueError("The given values lie outside the box, where the density is "
                             "zero: no conditional exists.")
        return self._marginal(B)

    def _sample_given_pattern(self, A, B, a, rng):
        inside = np.all((a >= self.low_[A]) & (a <= self.high_[A]), axis=1)
        if not inside.all():
            raise ValueError(f"{int((~inside).sum())} rows of given lie outside the box, "
                             "where the density is zero: they cannot be completed.")
        return rng.uniform(self.low_[B], self.high_[B], size=(a.shape[0], B.size))

    def _score_samples(self, X, y):
        if np.isnan(X).any():
            return self._score_missing(X)
        inside = np.all((X >= self.low_) & (X <= self.high_), axis=1)
        return np.where(inside, -self.log_volume_, -np.inf)

    def _sample(self, n_samples, rng, y):
        return rng.uniform(self.low_, self.high_, size=(n_samples, self.low_.size))
