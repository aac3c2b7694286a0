"""Renderers of a Scorecard into report files: one module per format."""
