"""The one type every experiment's protocol derives from."""

__all__ = ["Protocol"]


class Protocol:
    """What an experiment will run: a frozen dataclass deriving from this.

    Each experiment's ``make_protocol(args)`` returns an instance (cheap to
    build: it runs before ``--out`` and the backend are checked) that says
    what it runs in one line.
    """

    def describe(self):
        """One line on what runs, for the report and the JSON summary."""
        raise NotImplementedError(f"{type(self).__name__} must define describe()")
