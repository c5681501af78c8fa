"""Flee 3.1's model (flee-model.md): spawning from observed totals, route choice by score and distance, moves
and travel."""
