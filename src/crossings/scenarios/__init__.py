"""Scenarios that ship with crossings."""
