"""`python -m model.train`: the entry point; it calls `model.training.loop.main`.

The training loop, its flags and its checkpoints live in the `model.training` package.
"""

from model.training.loop import main

if __name__ == "__main__":
    main()
