"""Everything PyTorch: AdaIN maths, networks, weights, inference, training and benchmarks.

The package imports nothing itself, so that ``model.limits`` (the bounds and refusal codes the
worker's contract with the bot shares) stays free of torch.
"""
