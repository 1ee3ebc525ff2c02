"""What every model of mixed tables shares: DataFrames in, codes inside, DataFrames out."""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._schema import UNSEEN, check_columns, decode, encode, infer_schema


class UnseenCategoryWarning(UserWarning):
    """Rows hold categories the model never saw in ``fit``; their log-likelihood is ``-inf``."""


class MarginalEstimateWarning(UserWarning):
    """Some rows' log-likelihoods are importance-sampling estimates, not exact values."""


class TabularMixin:
    """DataFrame handling of the :mod:`skgen.tabular` models.

    Put it before :class:`skgen.base.BaseGenerative` (or a subclass) in the
    bases. ``fit`` infers the schema (``schema_``, one plain dict per column,
    see :mod:`skgen.tabular._schema`) from the training table and the
    ``column_types`` parameter; every call then works on float64 codes:
    continuous and count columns hold their values, booleans 0/1,
    categorical columns their category codes, ``NaN`` a missing cell and
    ``-1`` a category never seen in ``fit``. ``sample`` decodes its codes
    back into a DataFrame with the training columns, dtypes and categories.

    Subclasses implement ``_fit(Z, y)``, ``_score_samples(Z, y)`` and
    ``_sample(n_samples, rng, y)`` on codes, and say which code columns are
    of which kind through :meth:`_columns_of`.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing cells are marginalized out
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def _validate_X(self, X, *, reset):
        if reset:
            schema = infer_schema(X, getattr(self, "column_types", None))
            self.schema_ = schema
            self.n_features_in_ = len(schema)
            names = [spec["name"] for spec in schema]
            self._train_columns = names
            if isinstance(X, pd.DataFrame) and all(isinstance(n, str) for n in names):
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            check_is_fitted(self)
            X = check_columns(X, self.schema_, type(self).__name__)
        Z, unseen = encode(X, self.schema_)
        if reset and unseen:  # cannot happen: fit's categories are the table's own
            raise AssertionError(unseen)
        if unseen:
            warnings.warn(
                "Some cells hold categories the model never saw in fit, so their rows "
                "have log-likelihood -inf: "
                + ", ".join(f"{k!r} ({v} rows)" for k, v in unseen.items())
                + ". Refit on data that include them, or map them to a known category.",
                UnseenCategoryWarning, stacklevel=4)
        return Z

    def _given_rows(self, given):
        """Codes of ``given`` rows for ``conditional`` and ``sample(given=...)``: a
        DataFrame, a Series or a dict ``{column: value}`` (absent columns are
        the ones to draw), with labels, not codes, in categorical columns."""
        names = [spec["name"] for spec in self.schema_]
        if isinstance(given, dict):
            unknown = [c for c in given if c not in names]
            if unknown:
                raise ValueError(f"Unknown columns {unknown}; the model's columns are {names}.")
            given = pd.DataFrame([{n: given.get(n) for n in names}], columns=names)
        elif isinstance(given, pd.Series):
            given = given.to_frame().T
        return self._validate_X(given, reset=False)

    def _wrap_output(self, X):
        return decode(X, self.schema_)

    def _columns_of(self, kind):
        """Positions of the code columns of one kind, an int array."""
        return np.array([j for j, spec in enumerate(self.schema_) if spec["kind"] == kind],
                        dtype=np.intp)

    def _n_categories(self):
        """Number of categories of each categorical or boolean column, by position."""
        return {j: len(spec["categories"]) for j, spec in enumerate(self.schema_)
                if spec["categories"] is not None}

    @staticmethod
    def _is_unseen(z):
        return z == UNSEEN
