"""An auditor gate: public definitions without a docstring, found by ruff's D1 rules."""
