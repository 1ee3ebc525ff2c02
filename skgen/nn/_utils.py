"""Devices, seeds and label encoding for the deep estimators."""

import numpy as np
import torch

__all__ = ["resolve_device", "torch_generator"]


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str
        ``"auto"`` picks CUDA when available, else the CPU. A device string
        such as ``"cuda:1"`` is accepted.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        When CUDA is asked for but not available.

    Examples
    --------
    >>> from skgen.nn import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='cpu' or device='auto'."
        )
    return dev


def torch_generator(rng, device="cpu"):
    """A :class:`torch.Generator` on ``device`` seeded from a numpy ``RandomState``.

    Parameters
    ----------
    rng : numpy.random.RandomState
    device : str or torch.device, default="cpu"

    Returns
    -------
    torch.Generator

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skgen.nn import torch_generator
    >>> g = torch_generator(np.random.RandomState(0))
    >>> a = torch.rand(2, generator=g)
    >>> b = torch.rand(2, generator=torch_generator(np.random.RandomState(0)))
    >>> bool(torch.equal(a, b))
    True
    """
    seed = int(rng.randint(0, np.iinfo(np.int32).max))
    return torch.Generator(device=torch.device(device)).manual_seed(seed)
