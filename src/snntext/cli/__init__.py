"""The `snntext` command (main): class probabilities and spike counts for a sentence (predict) and
the SNN as a NIR graph (nir_export). May import any package."""
