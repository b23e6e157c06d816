"""Sweeps and evaluations on a Ray cluster (optional: `pip install -e ".[cluster]"`); only ray_import imports ray."""
