"""Elementwise bijections with known Jacobians: log and logit."""

from numbers import Real

import numpy as np
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

__all__ = ["LogTransformer", "LogitTransformer"]


class _ElementwiseBijection(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Base of feature-wise bijections ``z_j = f(x_j)`` on an open domain.

    Subclasses implement ``_in_domain(X)`` (elementwise bool), ``_forward``,
    ``_inverse``, ``_log_derivative`` (elementwise ``log f'(x)``, called only on
    in-domain values), ``_inside_value`` (a value inside the domain) and
    ``_domain_text`` (for error messages).
    """

    def fit(self, X, y=None):
        """Check the parameters and that every training value lies in the domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._check_params()
        X = validate_data(self, X, dtype=np.float64, reset=True)
        self._check_domain(X)
        return self

    def _check_params(self):
        pass

    def _check_domain(self, X):
        bad = ~self._in_domain(X)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"{type(self).__name__} is defined for {self._domain_text()}; "
                f"X[{row}, {col}] = {X[row, col]!r} is outside ({int(bad.sum())} "
                "value(s) in all). Check the data or the transformer's parameters."
            )

    def transform(self, X):
        """Apply the bijection feature by feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Values inside the domain.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        self._check_domain(X)
        return self._forward(X)

    def inverse_transform(self, Z):
        """Map transformed values back to the original units.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_array(Z, dtype=np.float64, input_name="Z")
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(
                f"Z has {Z.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        return self._inverse(Z)

    def log_abs_det_jacobian(self, X):
        """``log |det dT/dx|`` at each row of the input ``X``.

        The Jacobian is diagonal, so this is the row sum of the elementwise
        log-derivatives.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input of the transformer.

        Returns
        -------
        log_det : ndarray of shape (n_samples,)
            ``-inf`` on rows with a value outside the domain.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        inside = self._in_domain(X)
        safe = np.where(inside, X, self._inside_value())
        out = self._log_derivative(safe).sum(axis=1)
        return np.where(inside.all(axis=1), out, -np.inf)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "n_features_in_")


class LogTransformer(_ElementwiseBijection):
    """Logarithm of each feature, ``z = log(x + offset)``, with its Jacobian.

    Turns positive, right-skewed data (incomes, concentrations, waiting times)
    into data a Gaussian or a mixture fits well. Inside a
    :class:`~skgen.pipeline.DensityPipeline` the log-density in the original
    units gains ``log |det J| = -sum_j log(x_j + offset)``, so a Gaussian after
    a ``LogTransformer`` is exactly a log-normal density.

    Parameters
    ----------
    offset : float, default=0.0
        Added before the logarithm; the domain is ``x > -offset``. Use
        ``offset=1`` for counts that include zero.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.preprocessing import LogTransformer
    >>> X = np.array([[1.0], [np.e]])
    >>> t = LogTransformer().fit(X)
    >>> t.transform(X).ravel()
    array([0., 1.])
    >>> t.log_abs_det_jacobian(X)
    array([ 0., -1.])
    >>> t.log_abs_det_jacobian([[-1.0]])  # outside the domain: density zero
    array([-inf])
    """

    _parameter_constraints = {"offset": [Interval(Real, None, None, closed="neither")]}

    def __init__(self, offset=0.0):
        self.offset = offset

    def _domain_text(self):
        return f"x > {-self.offset!r}"

    def _in_domain(self, X):
        return X + self.offset > 0

    def _inside_value(self):
        return 1.0 - self.offset

    def _forward(self, X):
        return np.log(X + self.offset)

    def _inverse(self, Z):
        return np.exp(Z) - self.offset

    def _log_derivative(self, X):
        return -np.log(X + self.offset)


class LogitTransformer(_ElementwiseBijection):
    """Logit of bounded features, e.g. pixel intensities in ``[0, 1]``.

    With ``(low, high) = bounds``, each value is mapped to
    ``s = eps + (1 - 2 eps) (x - low) / (high - low)`` and then to
    ``z = log(s / (1 - s))``, which ranges over the whole real line. The small
    ``eps`` (the "logit trick" of RealNVP) keeps the bounds themselves finite.
    Inside a :class:`~skgen.pipeline.DensityPipeline` the log-density in the
    original units gains
    ``sum_j [log(1 - 2 eps) - log(high - low) - log s_j - log(1 - s_j)]``.

    The domain is the open interval where ``0 < s < 1``: ``[low, high]``
    widened by ``delta = eps (high - low) / (1 - 2 eps)`` on each side.
    Samples mapped back through the inverse lie in that interval, so with
    ``eps > 0`` they may exceed the bounds by at most ``delta``.

    Parameters
    ----------
    bounds : tuple of (float, float), default=(0.0, 1.0)
        ``(low, high)`` with ``low < high``: the range of the data.
    eps : float, default=1e-6
        Margin in ``[0, 0.5)``. With ``eps=0`` the domain is the open interval
        ``(low, high)`` and values at the bounds get density zero.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.preprocessing import LogitTransformer
    >>> X = np.array([[0.5, 0.25]])
    >>> t = LogitTransformer(eps=0.0).fit(X)
    >>> t.transform(X).round(4)
    array([[ 0.    , -1.0986]])
    >>> np.allclose(t.inverse_transform(t.transform(X)), X)
    True
    """

    _parameter_constraints = {
        "bounds": [tuple, list],
        "eps": [Interval(Real, 0, 0.5, closed="left")],
    }

    def __init__(self, bounds=(0.0, 1.0), *, eps=1e-6):
        self.bounds = bounds
        self.eps = eps

    def _check_params(self):
        if len(self.bounds) != 2:
            raise ValueError(f"bounds must be a pair (low, high), got {self.bounds!r}.")
        low, high = (float(b) for b in self.bounds)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(
                f"bounds must be finite with low < high, got {self.bounds!r}."
            )

    def _unit(self, X):
        low, high = (float(b) for b in self.bounds)
        return self.eps + (1.0 - 2.0 * self.eps) * (X - low) / (high - low)

    def _domain_text(self):
        low, high = (float(b) for b in self.bounds)
        delta = self.eps * (high - low) / (1.0 - 2.0 * self.eps)
        if self.eps == 0:
            return f"values strictly between {low!r} and {high!r}"
        return f"values in ({low - delta!r}, {high + delta!r}), i.e. bounds +- {delta:.3g}"

    def _in_domain(self, X):
        s = self._unit(X)
        return (s > 0) & (s < 1)

    def _inside_value(self):
        low, high = (float(b) for b in self.bounds)
        return 0.5 * (low + high)

    def _forward(self, X):
        return logit(self._unit(X))

    def _inverse(self, Z):
        low, high = (float(b) for b in self.bounds)
        return low + (high - low) * (expit(Z) - self.eps) / (1.0 - 2.0 * self.eps)

    def _log_derivative(self, X):
        low, high = (float(b) for b in self.bounds)
        s = self._unit(X)
        return np.log1p(-2.0 * self.eps) - np.log(high - low) - np.log(s) - np.log1p(-s)
