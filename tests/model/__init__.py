"""Tests of the `model` package: maths, networks, weights, inference, training, benchmarks."""
