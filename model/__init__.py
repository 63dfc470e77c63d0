"""Everything PyTorch: AdaIN maths, networks, weights, inference, training and benchmarks."""

from model.images import ImageError, load_image
from model.stylizer import Stylizer
from model.weights.load import WeightsError

__all__ = ["ImageError", "Stylizer", "WeightsError", "load_image"]
