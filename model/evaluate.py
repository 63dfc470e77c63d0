"""`python -m model.evaluate`: the entry point; it calls `model.training.evaluate.main`.

Scoring decoders on content × style pairs lives in the `model.training` package.
"""

from model.training.evaluate import main

if __name__ == "__main__":
    main()
