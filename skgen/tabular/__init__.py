"""Mixed-type tables: numbers, counts, booleans, categories and missing cells.

The models of this family take a pandas DataFrame as it is: each column's
type is read from its dtype (:func:`infer_column_types`, overridable), the
log-likelihood of a row is exact with respect to counting measure on its
discrete cells times Lebesgue measure on its continuous ones, missing cells
(``NaN``, ``None``, ``pd.NA``) are marginalized out exactly, and ``sample``
returns a DataFrame with the training columns, dtypes and categories.
"""

from ._autoregressive import MarginalEstimateWarning, TabularAutoregressive
from ._base import UnseenCategoryWarning
from ._mixture import TabularMixture
from ._schema import COLUMN_KINDS, infer_column_types

__all__ = [
    "COLUMN_KINDS",
    "MarginalEstimateWarning",
    "TabularAutoregressive",
    "TabularMixture",
    "UnseenCategoryWarning",
    "infer_column_types",
]
