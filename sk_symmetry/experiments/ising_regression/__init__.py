"""``sk-symmetry ising-regression``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
