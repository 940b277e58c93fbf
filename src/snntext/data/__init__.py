"""Source registry, downloads, dataset parsers and splits."""
