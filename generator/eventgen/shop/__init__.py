"""The shop: the event model and schema, the catalog, order lifecycles, columnar generation,
faults and the determinism rules (seeds, counter-based draws, run identity).

Pure computation on numpy arrays: nothing here paces, sleeps, writes or reads flags. The one
call outside Python is ``allocator``'s, which hands the freed arrays' memory back to the
operating system.
"""
