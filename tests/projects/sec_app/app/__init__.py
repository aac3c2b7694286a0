"""A tiny application with security findings of each level."""
