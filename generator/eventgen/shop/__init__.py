"""The shop: the event model and schema, the catalog, order lifecycles, columnar generation,
faults and the determinism rules (seeds, counter-based draws, run identity).

Pure computation on numpy arrays: nothing here paces, sleeps, writes or reads flags.
"""
