"""The retraining loop: training sets from human labels, candidate registration, gated promotion."""
