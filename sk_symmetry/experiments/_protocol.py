"""The one type every experiment's protocol derives from."""

import numpy as np

__all__ = ["Protocol", "TemperatureScan"]


class Protocol:
    """What an experiment will run: a frozen dataclass deriving from this.

    Each experiment's ``make_protocol(args)`` returns an instance (cheap to
    build: it runs before ``--out`` and the backend are checked) that says
    what it runs in one line.
    """

    def describe(self):
        """One line on what runs, for the report and the JSON summary."""
        raise NotImplementedError(f"{type(self).__name__} must define describe()")


class TemperatureScan(Protocol):
    """A protocol over evenly spaced temperatures: its dataclass defines the
    fields ``t_min``, ``t_max`` and ``n_temperatures``."""

    @property
    def temperatures(self):
        """The ``n_temperatures`` temperatures from ``t_min`` to ``t_max``."""
        return np.linspace(self.t_min, self.t_max, self.n_temperatures)
