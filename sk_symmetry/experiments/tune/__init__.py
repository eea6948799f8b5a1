"""``sk-symmetry tune``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
