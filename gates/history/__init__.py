"""The history gate: success metrics over many recorded runs."""
