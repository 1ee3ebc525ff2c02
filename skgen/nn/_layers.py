"""Network building blocks shared by the deep families.

``MLP`` is a plain multilayer perceptron; ``MaskedLinear`` and ``MaskedMLP``
build MADE networks (Germain et al., 2015) whose output for feature ``i``
depends only on the features before ``i`` in a chosen order, the conditioner
of autoregressive flows and of autoregressive density models.

Every module here initializes its weights from an explicit
:class:`torch.Generator` (:func:`init_parameters`), so that a fitted model
depends only on the estimator's ``random_state``.
"""

import math
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "MAX_EMBEDDING_DIM",
    "MLP",
    "MaskedLinear",
    "MaskedMLP",
    "init_parameters",
    "label_embedding",
    "made_masks",
]


def _init_linear(layer, generator):
    """PyTorch's default ``nn.Linear`` initialization, drawn from ``generator``."""
    fan_in = layer.weight.shape[1]
    if fan_in == 0:  # no inputs: only the bias matters
        nn.init.zeros_(layer.weight)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
        return
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        # kaiming_uniform_(a=sqrt(5)) of torch's default is uniform(-bound, bound)
        layer.weight.uniform_(-bound, bound, generator=generator)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=generator)


def init_parameters(module, generator):
    """(Re)initialize every parameter of ``module`` from ``generator``.

    Linear and convolution layers get PyTorch's default initialization,
    embeddings a standard normal, normalization layers their deterministic
    default. A module that defines ``reset_parameters(generator)`` and sets
    ``_owns_init = True`` initializes itself and its children.

    Parameters
    ----------
    module : torch.nn.Module
    generator : torch.Generator
        CPU generator; the module's parameters must be on the CPU.

    Raises
    ------
    TypeError
        For a module type with parameters that this function does not know;
        give it ``reset_parameters(generator)`` and ``_owns_init = True``.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import MLP, init_parameters
    >>> a, b = MLP(2, 1, (8,)), MLP(2, 1, (8,))
    >>> init_parameters(a, torch.Generator().manual_seed(0))
    >>> init_parameters(b, torch.Generator().manual_seed(0))
    >>> bool(torch.equal(a.layers[0].weight, b.layers[0].weight))
    True
    """
    if getattr(module, "_owns_init", False):
        module.reset_parameters(generator=generator)
        return
    if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd)):
        if isinstance(module, nn.Linear):
            _init_linear(module, generator)
        else:
            fan_in = module.weight[0].numel()
            bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
            with torch.no_grad():
                module.weight.uniform_(-bound, bound, generator=generator)
                if module.bias is not None:
                    module.bias.uniform_(-bound, bound, generator=generator)
    elif isinstance(module, nn.Embedding):
        with torch.no_grad():
            module.weight.normal_(generator=generator)
    elif isinstance(
        module, (nn.LayerNorm, nn.modules.batchnorm._NormBase, nn.GroupNorm)
    ):
        module.reset_parameters()
    elif any(True for _ in module.parameters(recurse=False)):
        raise TypeError(
            f"init_parameters does not know how to initialize {type(module).__name__}; "
            "give it reset_parameters(generator) and _owns_init = True."
        )
    for child in module.children():
        init_parameters(child, generator)


class MLP(nn.Module):
    """Multilayer perceptron ``in_features -> hidden_sizes -> out_features``.

    Parameters
    ----------
    in_features : int
        Input size (may be 0: the output is then a learned constant).
    out_features : int
        Output size.
    hidden_sizes : tuple of int
        Width of each hidden layer.
    activation : type, default=torch.nn.ReLU
        Activation module class placed after each hidden layer.
    zero_last : bool, default=False
        Initialize the last layer to zero (the output starts at 0; flows then
        start as the identity).

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import MLP
    >>> MLP(3, 2, (16, 16))(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """

    _owns_init = True

    def __init__(self, in_features, out_features, hidden_sizes, *, activation=nn.ReLU,
                 zero_last=False):
        super().__init__()
        sizes = [in_features, *hidden_sizes, out_features]
        layers = []
        with warnings.catch_warnings():
            # in_features=0 (a learned constant) makes torch warn about empty tensors
            warnings.filterwarnings("ignore", message="Initializing zero-element")
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(nn.Linear(a, b))
                if i < len(sizes) - 2:
                    layers.append(activation())
        self.layers = nn.Sequential(*layers)
        self.zero_last = zero_last

    def reset_parameters(self, generator=None):
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                _init_linear(layer, generator)
        if self.zero_last:
            last = self.layers[-1]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, x):
        return self.layers(x)


class MaskedLinear(nn.Linear):
    """Linear layer whose weight is multiplied by a fixed 0/1 mask.

    Parameters
    ----------
    mask : array-like of shape (out_features, in_features)
        ``mask[j, i] = 1`` lets output ``j`` see input ``i``.
    bias : bool, default=True

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import MaskedLinear
    >>> layer = MaskedLinear([[1, 0], [1, 1]])
    >>> x = torch.tensor([[0.0, 5.0]])
    >>> bool(layer(x)[0, 0] == layer.bias[0])
    True
    """

    def __init__(self, mask, bias=True):
        mask = torch.as_tensor(np.asarray(mask), dtype=torch.get_default_dtype())
        super().__init__(mask.shape[1], mask.shape[0], bias=bias)
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


#: Largest label embedding: a conditional network sees class ``c`` as a learned
#: vector of ``min(n_labels, MAX_EMBEDDING_DIM)`` numbers.
MAX_EMBEDDING_DIM = 16


def label_embedding(n_labels):
    """The embedding of class labels that conditional networks append to their input.

    Parameters
    ----------
    n_labels : int
        Number of distinct labels (codes ``0..n_labels-1``); 0 for an
        unconditional network.

    Returns
    -------
    embedding : torch.nn.Embedding or None
        ``None`` when ``n_labels == 0``.
    dim : int
        Its output size, ``min(n_labels, MAX_EMBEDDING_DIM)`` (0 without labels).

    Examples
    --------
    >>> from skgen.nn import label_embedding
    >>> emb, dim = label_embedding(3)
    >>> dim, tuple(emb.weight.shape)
    (3, (3, 3))
    >>> label_embedding(0)
    (None, 0)
    """
    n_labels = int(n_labels)
    if n_labels <= 0:
        return None, 0
    dim = min(n_labels, MAX_EMBEDDING_DIM)
    return nn.Embedding(n_labels, dim), dim


def made_masks(n_features, hidden_sizes, n_params, *, order=None, input_width=1,
               context_features=0):
    """Connectivity masks of a MADE network (Germain et al., 2015).

    Feature ``i`` has degree ``order[i] + 1`` (1..d); its ``input_width``
    input columns (one value, or a one-hot code) carry that degree; features
    may differ in their widths and numbers of outputs (a mixed table's
    columns). Hidden units get degrees cycling over ``[low, d - 1]``, where
    ``low`` is 0 when a context feeds the network or ``d == 1`` (degree-0
    units see only the context) and 1 otherwise, and see inputs of degree at
    most theirs. The ``n_params`` outputs of feature ``i`` see hidden units of
    degree below ``order[i] + 1``, so they depend on the features earlier in
    the order only.

    Parameters
    ----------
    n_features : int
    hidden_sizes : tuple of int
        Widths of the hidden layers (may be empty: a linear model).
    n_params : int or array-like of shape (n_features,)
        Outputs per feature (one number for all, or one per feature).
    order : array-like of shape (n_features,), default=None
        Position of each feature in the order (a permutation of ``0..d-1``).
    input_width : int or array-like of shape (n_features,), default=1
        Input columns per feature (one number for all, or one per feature).
    context_features : int, default=0
        Context columns appended to the input; every first-layer unit sees them.

    Returns
    -------
    masks : list of ndarray
        One ``(out, in)`` 0/1 float32 mask per layer.

    Examples
    --------
    >>> from skgen.nn import made_masks
    >>> [m.shape for m in made_masks(3, (8,), 2)]
    [(8, 3), (6, 8)]
    >>> made_masks(2, (), 1)[0].tolist()   # x_0 sees nothing, x_1 sees x_0
    [[0.0, 0.0], [1.0, 0.0]]
    >>> made_masks(2, (), [1, 2], input_width=[3, 1])[0].tolist()  # per-feature widths
    [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0]]
    """
    d = int(n_features)
    order = np.arange(d) if order is None else np.asarray(order)
    low = 0 if (context_features or d == 1) else 1
    degrees = [np.repeat(order + 1, input_width)]
    for h in hidden_sizes:
        degrees.append(low + np.arange(h) % max(d - low, 1))
    out_degrees = np.repeat(order + 1, n_params)
    masks = [
        (dout[:, None] >= din[None, :]).astype(np.float32)
        for din, dout in zip(degrees[:-1], degrees[1:])
    ]
    masks.append((out_degrees[:, None] > degrees[-1][None, :]).astype(np.float32))
    masks[0] = np.hstack([masks[0], np.ones((len(masks[0]), context_features), np.float32)])
    return masks


class MaskedMLP(nn.Module):
    """MADE: an MLP whose output for feature ``i`` sees only earlier features.

    The network maps ``x`` of shape ``(n, d)`` (and an optional context of
    shape ``(n, c)``, seen by every output) to parameters of shape
    ``(n, d, n_params)``; ``out[:, i]`` depends only on the inputs ``x[:, j]``
    with ``order[j] < order[i]``, so it can parametrize the conditional
    ``p(x_i | x_<i)`` of an autoregressive model or flow.

    Parameters
    ----------
    n_features : int
        Number of autoregressive features ``d``.
    n_params : int
        Outputs per feature.
    hidden_sizes : tuple of int
        Widths of the masked hidden layers (at least one).
    context_features : int, default=0
        Size of the context vector (0 for none).
    order : array-like of shape (n_features,), default=None
        ``order[i]`` is the position of feature ``i`` in the autoregressive
        order (a permutation of ``0..d-1``); ``None`` means ``0..d-1``.
    activation : type, default=torch.nn.ReLU
    zero_last : bool, default=False
        Initialize the output layer to zero.

    Examples
    --------
    >>> import torch
    >>> from skgen.nn import MaskedMLP
    >>> net = MaskedMLP(3, 2, (16,))
    >>> x = torch.randn(4, 3, requires_grad=True)
    >>> out = net(x)
    >>> out.shape
    torch.Size([4, 3, 2])
    >>> out[:, 1].sum().backward()   # output 1 sees input 0 only
    >>> (x.grad[:, 1:] == 0).all().item()
    True
    """

    _owns_init = True

    def __init__(self, n_features, n_params, hidden_sizes, *, context_features=0,
                 order=None, activation=nn.ReLU, zero_last=False):
        super().__init__()
        if len(hidden_sizes) == 0:
            raise ValueError("MaskedMLP needs at least one hidden layer.")
        d = int(n_features)
        order = np.arange(d) if order is None else np.asarray(order)
        if sorted(order.tolist()) != list(range(d)):
            raise ValueError(f"order must be a permutation of 0..{d - 1}, got {order}.")
        self.n_features = d
        self.n_params = int(n_params)
        self.context_features = int(context_features)
        self.zero_last = zero_last
        self.register_buffer("order", torch.as_tensor(order, dtype=torch.long))
        masks = made_masks(d, hidden_sizes, self.n_params, order=order,
                           context_features=self.context_features)
        layers = []
        for mask in masks[:-1]:
            layers += [MaskedLinear(mask), activation()]
        layers.append(MaskedLinear(masks[-1]))
        self.layers = nn.Sequential(*layers)

    def reset_parameters(self, generator=None):
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                _init_linear(layer, generator)
        if self.zero_last:
            nn.init.zeros_(self.layers[-1].weight)
            nn.init.zeros_(self.layers[-1].bias)

    def forward(self, x, context=None):
        if self.context_features:
            x = torch.cat([x, context], dim=-1)
        out = self.layers(x)
        return out.reshape(*x.shape[:-1], self.n_features, self.n_params)
