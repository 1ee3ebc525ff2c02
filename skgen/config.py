"""Global settings of skgen: the memory budget of chunked inference.

skgen keeps its settings per thread, as scikit-learn does: :func:`set_config`
and :func:`config_context` change the settings of the calling thread only, and
a new thread starts from the defaults. Read them with :func:`get_config`.

The one setting, ``working_memory`` (MiB, default 256), is the budget of the
temporary arrays built for one chunk of rows by ``score_samples``, ``sample``,
``predict_proba`` and the like. Work whose temporaries grow with the number of
rows times something else (mixture components, training rows of a kernel
density, classes) goes through the rows in chunks that fit this budget, so
memory stays bounded however many rows are scored. Results do not depend on
it, up to rounding.
"""

import threading
from contextlib import contextmanager
from numbers import Real

__all__ = ["config_context", "get_config", "set_config"]

#: Settings a thread starts from.
_DEFAULTS = {"working_memory": 256}

_local = threading.local()


def _thread_config():
    """The calling thread's settings (a dict it owns), created from the defaults."""
    config = getattr(_local, "config", None)
    if config is None:
        config = _local.config = dict(_DEFAULTS)
    return config


def _check_working_memory(value):
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0 \
            or value == float("inf"):
        raise ValueError(
            f"working_memory must be a positive, finite number of MiB; got {value!r}. "
            "Pass for example working_memory=256 (the default) or 64 on a small machine."
        )
    return value


def get_config():
    """The calling thread's settings.

    Returns
    -------
    config : dict
        A copy: changing it changes nothing. Keys are the parameters of
        :func:`set_config`.

    See Also
    --------
    set_config : change the settings.
    config_context : change the settings within a ``with`` block.

    Examples
    --------
    >>> from skgen.config import get_config
    >>> get_config()["working_memory"]
    256
    """
    return dict(_thread_config())


def set_config(working_memory=None):
    """Change the calling thread's settings; ``None`` leaves a setting as it is.

    Parameters
    ----------
    working_memory : float, default=None
        Budget in MiB (positive) of the temporary arrays of one chunk of rows
        in ``score_samples``, ``sample`` and ``predict_proba``. Smaller values
        lower peak memory at some cost in speed; results do not change (up to
        rounding).

    Raises
    ------
    ValueError
        When a setting is out of range (``working_memory`` not a positive
        number).

    See Also
    --------
    get_config : read the settings.
    config_context : change the settings within a ``with`` block only.

    Examples
    --------
    >>> from skgen.config import get_config, set_config
    >>> set_config(working_memory=64)
    >>> get_config()["working_memory"]
    64
    >>> set_config(working_memory=256)  # back to the default
    """
    config = _thread_config()
    if working_memory is not None:
        config["working_memory"] = _check_working_memory(working_memory)


@contextmanager
def config_context(*, working_memory=None):
    """Change the calling thread's settings within a ``with`` block.

    The previous settings come back when the block ends, also when it ends
    with an exception. Blocks nest.

    Parameters
    ----------
    working_memory : float, default=None
        As in :func:`set_config`; ``None`` keeps the current value.

    Yields
    ------
    None

    See Also
    --------
    set_config : change the settings for good.
    get_config : read the settings.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import GaussianMixture
    >>> from skgen.config import config_context, get_config
    >>> X = np.random.RandomState(0).normal(size=(500, 3))
    >>> gm = GaussianMixture(n_components=4, random_state=0).fit(X)
    >>> with config_context(working_memory=0.01):  # about 10 kB per chunk of rows
    ...     small = gm.score_samples(X)
    >>> bool(np.allclose(small, gm.score_samples(X)))
    True
    >>> get_config()["working_memory"]
    256
    """
    previous = get_config()
    # validate before changing anything, so a bad value leaves no trace
    set_config(working_memory=working_memory)
    try:
        yield
    finally:
        _thread_config().update(previous)
