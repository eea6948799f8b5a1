"""``sk-symmetry claims``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
