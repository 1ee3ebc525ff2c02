"""Utilities: listing skgen's estimators and bounded-memory chunking.

- :func:`all_estimators`: every public estimator class of skgen as
  ``(name, class)`` pairs, like :func:`sklearn.utils.all_estimators`, with a
  ``type_filter`` that keeps only density estimators, transformers or
  classifiers.
- :func:`gen_batches_by_memory` and :func:`chunk_rows`: slices over rows
  (or the number of rows per chunk) such that each chunk's working memory
  stays under a budget, by default the ``working_memory`` setting of
  :mod:`skgen.config`, so work that grows with the data is done in bounded
  memory.
- :func:`score_samples_dask` and :func:`sample_dask`: the generative
  protocol over Dask collections, lazy and block by block (log-densities
  equal to the in-memory ones row for row; samples in chunks with
  independent, reproducible seeds). They need the ``dask`` extra.

The private module ``_hashing`` holds the per-row hashed noise (numpy only)
that :mod:`skgen.nn` exports for the deep families and the dequantizer uses.
"""

from ._chunking import chunk_rows, gen_batches_by_memory
from ._dask import sample_dask, score_samples_dask
from ._discovery import all_estimators

__all__ = [
    "all_estimators",
    "chunk_rows",
    "gen_batches_by_memory",
    "sample_dask",
    "score_samples_dask",
]
