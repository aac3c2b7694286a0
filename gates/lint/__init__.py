"""The lint gate."""
