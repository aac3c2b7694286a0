"""Test configuration shared by every test module."""
