"""The gates: each drives one real tool (or a tight pair) and returns a Measurement."""
