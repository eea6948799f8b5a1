"""``sk-symmetry benchmark``: ``run`` (protocol, run, summarize) and ``report``
(format and write)."""
