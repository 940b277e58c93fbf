"""How word vectors become spikes: the paper's [0, 1] shift (shift), the signed two-channel code and its
dead zone (input_codes), rate coding into Bernoulli spike trains (rate), latency coding into one spike per
channel (latency), and the input layer under either (spike_codes). Array maths only; imports core."""
