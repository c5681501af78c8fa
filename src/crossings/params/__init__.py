"""Typed, validated parameters with their defaults and sources."""

from crossings.params.flee import FleeSettings, read_simsetting

__all__ = ["FleeSettings", "read_simsetting"]
