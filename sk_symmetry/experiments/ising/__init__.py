"""``sk-symmetry ising``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
