"""Training the bundled models: data, trainers, checkpoints, evaluation. Imports torch, never Qt."""
