"""snntext: spiking convolutional networks for text classification."""
