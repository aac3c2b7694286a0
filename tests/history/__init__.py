"""Tests of the history: store, listing, import, deltas, trends and the success metrics."""
