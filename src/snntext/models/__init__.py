"""The networks: the tailored and Kim TextCNNs (textcnn), the SpikingTextCNN (spiking), its IF/LIF
neurons and surrogate gradients (neurons) and checkpoints (checkpoint). Imports core, coding and data."""
