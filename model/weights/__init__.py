"""The pretrained weight files: `fetch` downloads and verifies them (`python -m model.weights`),
`load` checks their layout and loads them into the networks (`WeightsError`, `load_into`)."""
