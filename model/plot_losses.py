"""`python -m model.plot_losses`: the entry point; it calls `model.training.plot.main`.

Drawing a training run's loss curves lives in the `model.training` package.
"""

from model.training.plot import main

if __name__ == "__main__":
    main()
