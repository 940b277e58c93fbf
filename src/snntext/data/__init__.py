"""From public files to network input: downloads (download), dataset parsers (datasets), splits
(splits), tokenisers (tokenise), word vectors (vectors), the vocabulary and its table (vocab), the
embed step (embed) and reading its output back as tensors in batches (embedded, batching).
Imports core and coding."""
