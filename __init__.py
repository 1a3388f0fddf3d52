"""Pantau: social-media feedback monitoring for Indonesian digital public services."""

__version__ = "0.1.0"
