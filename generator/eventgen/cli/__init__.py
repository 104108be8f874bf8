"""The ``eventgen`` command on top of the rest: flags and environment, the commands' wiring.

Nothing below this package imports it.
"""
