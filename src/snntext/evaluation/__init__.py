"""Measuring a trained network: DNN scores and accuracy (scoring), the SNN over spike draws with its
firing rates and energy (spiking), the paired SNN - DNN gap with its interval (paired_gap), accuracy
against T (sweep), the energy formula (energy) and the costs it leaves out (energy_overheads).
Imports core, coding, data and models."""
