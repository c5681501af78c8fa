"""The models the engine runs, one package each (engine/model.py is their contract and registry)."""
