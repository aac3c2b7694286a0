"""The deploy gate."""
