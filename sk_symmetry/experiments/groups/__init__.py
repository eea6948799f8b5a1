"""``sk-symmetry groups``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
