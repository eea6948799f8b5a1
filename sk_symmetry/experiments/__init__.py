"""The experiments behind the command line; they use the library, never the reverse.

Each module runs one experiment (``reproduce``, ``tune``) and ``report`` turns
results into tables and figures. Nothing in the library imports from here.
"""
