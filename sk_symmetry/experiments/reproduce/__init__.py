"""``sk-symmetry reproduce``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
