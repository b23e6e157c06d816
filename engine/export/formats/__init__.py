"""Export formats: one module each, behind the registry (registry.py). See base.py for the protocol."""
