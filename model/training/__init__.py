"""Training and evaluating the AdaIN decoder (the encoder stays the frozen VGG-19).

`loop` is the training run and its flags (`python -m model.train`), `data` the seeded
content–style batches, `losses` the objective, `checkpoint` the files a run saves, `log` its
loss CSV, TensorBoard events and sample grids, `plot` the loss figure
(`python -m model.plot_losses`) and `evaluate` the decoder comparison
(`python -m model.evaluate`).
"""
