"""A stream's shape: the document (one owner of its rules, used by the operator too) and the
curve it draws on the wall clock. Pure: no I/O, no clock reads.
"""
