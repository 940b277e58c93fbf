"""snntext: spiking convolutional networks for text classification (Lv, Xu and Zheng, ICLR 2023).

The packages follow the paper's steps, each importing only the ones before it in this order:
core (settings, paths, errors, stage plumbing) < coding (vectors to firing rates to spikes) < data
(sources, parsing, splits, tokens, word vectors, the embed step) < models (the networks and their
neurons) < evaluation (scores, spike draws, energy) < training (DNN, conversion, fine-tuning) < attack
(TextAttack) < report (reports/) < cli (the `snntext` command). tests/test_layers.py enforces it.
"""
