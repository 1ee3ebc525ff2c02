"""Uniform dequantization: continuous densities for integer data."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..utils._hashing import hashed_uniform, row_keys

__all__ = ["Dequantizer"]


class Dequantizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Uniform dequantization of integer data, with a lower bound on log P(x).

    A continuous density fitted to integer data (pixel intensities 0..255,
    counts) can put arbitrarily high density on the integers and reach an
    unbounded likelihood. Dequantization adds uniform noise,
    ``v = x + u`` with ``u ~ U[0, 1)^d``, and (with ``scale=True``) divides by
    the number of levels ``L``, so ``y = (x + u) / L`` lies in ``[0, 1)^d``.
    The continuous model ``p_Y`` then defines the discrete distribution

    ``P(x) = int_{[0,1)^d} p_V(x + u) du``, with ``p_V(v) = p_Y(v / L) L^{-d}``,

    which sums to one over the integer grid, and by Jensen's inequality

    ``log P(x) >= E_u[ log p_Y((x + u) / L) ] - d log L``.

    :meth:`log_abs_det_jacobian` returns the correction ``-d log L`` (zero with
    ``scale=False``), so a :class:`~skgen.pipeline.DensityPipeline` that starts
    with a ``Dequantizer`` returns, for each integer row, a one-draw unbiased
    estimate of this lower bound: its ``likelihood_kind`` becomes
    ``"lower_bound"`` (a bound in expectation), and its ``bits_per_dim`` is an
    upper bound on the discrete bits per dimension. Non-integer rows have
    probability zero (``-inf``).

    The inverse maps ``y`` back to ``floor(y L)``, so a pipeline's samples are
    integers drawn exactly from ``P``; they fall outside ``0..L-1`` only where
    the continuous model puts mass outside ``[0, 1)^d``.

    Parameters
    ----------
    n_levels : int or None, default=None
        Number of integer levels ``L`` (256 for 8-bit images). ``None`` takes
        one more than the largest training value.
    scale : bool, default=True
        Divide by ``n_levels`` so that the output lies in ``[0, 1)``.
    random_state : int, RandomState instance or None, default=None
        Seed for the noise: an int is used as it is (at every call, so
        ``set_params(random_state=...)`` draws new noise without refitting);
        ``None`` or a ``RandomState`` draws one seed at ``fit``. The noise added to a row by
        :meth:`transform` is a function of the row's values and that seed
        (hashed, counter-based random numbers), so a row gets the same noise
        in any batch, order or call: a pipeline's ``score_samples`` of a row
        does not depend on the other rows. :meth:`fit_transform` (what a
        pipeline's ``fit`` calls) gives the ``j``-th repeat of a row the noise
        of stream ``j``, so repeated training rows still cover their cell;
        a row's first occurrence gets the noise of :meth:`transform`.

    Attributes
    ----------
    n_levels_ : int
        The number of levels used.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    Notes
    -----
    The noise is a hash of each row and of the seed (the per-row hashed noise
    shared with the deep families, :func:`skgen.nn.row_keys`), so a row's
    value does not depend on the other rows of the call.

    References
    ----------
    L. Theis, A. van den Oord and M. Bethge, "A note on the evaluation of
    generative models", ICLR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.preprocessing import Dequantizer
    >>> X = np.array([[0, 255], [128, 3]])
    >>> dq = Dequantizer(n_levels=256, random_state=0).fit(X)
    >>> Y = dq.transform(X)
    >>> bool(np.all((Y >= 0) & (Y < 1)))
    True
    >>> dq.inverse_transform(Y)
    array([[  0., 255.],
           [128.,   3.]])
    >>> dq.log_abs_det_jacobian(X)  # -2 log 256
    array([-11.09035489, -11.09035489])
    """

    #: A pipeline through this step scores a lower bound on log P(x) (in expectation).
    likelihood_kind = "lower_bound"

    _parameter_constraints = {
        "n_levels": [Interval(Integral, 1, None, closed="left"), None],
        "scale": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, n_levels=None, *, scale=True, random_state=None):
        self.n_levels = n_levels
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y=None):
        """Check that ``X`` holds non-negative integers and set ``n_levels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Integer training data.
        y : None
            Ignored.

        Returns
        -------
        self : Dequantizer
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, reset=True)
        if np.any(X < 0):
            raise ValueError(
                "Negative values in data passed to Dequantizer: it expects non-negative "
                "integer levels at fit; shift the data so that the smallest level is 0."
            )
        self._check_integers(X)
        top = int(X.max())
        if self.n_levels is None:
            self.n_levels_ = top + 1
        else:
            if top >= self.n_levels:
                raise ValueError(
                    f"X has the value {top}, but n_levels={self.n_levels} allows "
                    f"0..{self.n_levels - 1}. Increase n_levels."
                )
            self.n_levels_ = int(self.n_levels)
        if not isinstance(self.random_state, Integral):
            self._noise_seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        return self

    def fit_transform(self, X, y=None):
        """Fit, then dequantize the training rows, repeated rows with fresh noise.

        The ``j``-th occurrence of a row (``j = 0, 1, ...`` in the order of
        ``X``, ``j > 0``) gets the noise of the row extended by ``j``, so that repeats
        spread over their cell instead of landing on one point; first
        occurrences get the noise of :meth:`transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Integer training data.
        y : None
            Ignored.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_features)
        """
        self.fit(X, y)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        keys = row_keys(X, self._seed())
        # number each row's occurrences 0, 1, ... in the order of X
        occurrence = pd.Series(keys).groupby(keys, sort=False).cumcount().to_numpy()
        repeat = occurrence > 0
        if repeat.any():
            keys[repeat] = row_keys(
                np.c_[X[repeat], occurrence[repeat].astype(np.float64)], self._seed()
            )
        return self._add_noise(X, keys)

    def _seed(self):
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(getattr(self, "_noise_seed", 0))  # 0: fitted by skgen 0.1

    def _add_noise(self, X, keys):
        return (X + hashed_uniform(keys, 0, X.shape[1])) / self._divisor()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    @staticmethod
    def _check_integers(X):
        bad = X != np.floor(X)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                "Dequantizer expects integer data (levels such as pixel intensities); "
                f"X[{row}, {col}] = {X[row, col]!r} is not an integer."
            )

    def _divisor(self):
        return float(self.n_levels_) if self.scale else 1.0

    def transform(self, X):
        """Add uniform noise ``u ~ U(0, 1)`` (and divide by ``n_levels_``).

        The noise of a row is a function of its values and the seed drawn at
        ``fit``: the same in any batch and at every call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Integer data.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_features)
            ``(X + u) / n_levels_`` (or ``X + u`` with ``scale=False``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        self._check_integers(X)
        return self._add_noise(X, row_keys(X, self._seed()))

    def inverse_transform(self, Y):
        """Map continuous values back to the integer level of their cell.

        Parameters
        ----------
        Y : array-like of shape (n_samples, n_features)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            ``floor(Y * n_levels_)`` (or ``floor(Y)``), as floats.
        """
        check_is_fitted(self)
        Y = check_array(Y, dtype=np.float64, input_name="Y")
        if Y.shape[1] != self.n_features_in_:
            raise ValueError(
                f"Y has {Y.shape[1]} features, but Dequantizer is expecting "
                f"{self.n_features_in_} features as input."
            )
        return np.floor(Y * self._divisor())

    def log_abs_det_jacobian(self, X):
        """The dequantization correction ``-d log n_levels_`` for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Integer data.

        Returns
        -------
        log_det : ndarray of shape (n_samples,)
            ``-n_features * log(n_levels_)`` (``0`` with ``scale=False``);
            ``-inf`` on rows with a non-integer value, which have probability
            zero.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        integer = np.all(X == np.floor(X), axis=1)
        value = -X.shape[1] * np.log(self._divisor())
        return np.where(integer, value, -np.inf)
