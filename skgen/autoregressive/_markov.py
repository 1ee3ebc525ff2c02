"""Former home of :class:`skgen.datasets.MarkovTextSource`, kept for old imports and pickles."""

from ..datasets._markov import MarkovTextSource

__all__ = ["MarkovTextSource"]
