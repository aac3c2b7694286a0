"""The security gate."""
