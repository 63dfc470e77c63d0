"""Everything PyTorch: AdaIN maths, networks, weights, inference, training and benchmarks."""

from model.images import ImageError, load_image
from model.layout import WeightsError
from model.stylizer import Stylizer

__all__ = ["ImageError", "Stylizer", "WeightsError", "load_image"]
