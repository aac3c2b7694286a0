"""The type gate."""
