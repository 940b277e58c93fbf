"""How word vectors become spikes: the paper's [0, 1] shift (shift), the signed two-channel code
(input_codes) and rate coding into Bernoulli spike trains (rate). Array maths only; imports core."""
