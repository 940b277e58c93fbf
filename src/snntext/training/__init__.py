"""Making the networks: DNN training (dnn), DNN-to-SNN conversion (conversion), surrogate-gradient
fine-tuning (finetuning), the directly-trained SNN (direct) and the pipeline on random vectors
(random_embeddings). Imports core, coding, data, models and evaluation."""
