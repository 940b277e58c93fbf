"""The networks: the tailored and Kim TextCNNs (DNN) and the SpikingTextCNN."""
