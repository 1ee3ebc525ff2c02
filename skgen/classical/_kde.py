from ..base import BaseGenerative as _B
class KernelDensity(_B):
    """placeholder"""
    def __init__(self, *, bandwidth=1.0): self.bandwidth=bandwidth
