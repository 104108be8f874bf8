"""A run: the loops that drive the shop into a sink, pacing on the clock, live rate and shape
inputs, metrics, the run's identity, stopping on signals and the termination message.
"""
