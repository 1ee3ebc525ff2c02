"""Mixed-type tables: numbers, counts, booleans, categories and missing cells.

The models of this family take a pandas DataFrame as it is: each column's
type is read from its dtype (:func:`infer_column_types`, overridable), the
log-likelihood of a row is exact with respect to counting measure on its
discrete cells times Lebesgue measure on its continuous ones, missing cells
(``NaN``, ``None``, ``pd.NA``) are marginalized out exactly, and ``sample``
returns a DataFrame with the training columns, dtypes and categories.
"""

from ._base import MarginalEstimateWarning, UnseenCategoryWarning
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


def __getattr__(name):
    # TabularAutoregressive needs torch; importing it on first use keeps
    # ``import skgen.tabular`` (and the command line with the mixture) light
    if name == "TabularAutoregressive":
        from ._autoregressive import TabularAutoregressive

        return TabularAutoregressive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
