"""`SaveMode`: how a write treats data that already exists (flight_fusion.ipc.v1alpha1.SaveMode, same numbers)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["SaveMode"]


class SaveMode(IntEnum):
    """Write behaviour; the values are the wire protocol's enum numbers.

    @example
    fds.write_into(df, SaveMode.SAVE_MODE_OVERWRITE)
    """

    SAVE_MODE_UNSPECIFIED = 0
    #: Add the rows to the dataset, creating it if missing.
    SAVE_MODE_APPEND = 1
    #: Replace the dataset's rows (or, with a predicate, only the rows matching it).
    SAVE_MODE_OVERWRITE = 2
    #: Create the dataset; fail with DatasetExistsError if it already exists.
    SAVE_MODE_ERROR_IF_EXISTS = 3

    @classmethod
    def parse(cls, value: SaveMode | int | str) -> SaveMode:
        """Accepts a SaveMode, its number, or a name such as "overwrite" or "SAVE_MODE_OVERWRITE"."""
        if isinstance(value, SaveMode):
            return value
        if isinstance(value, int):
            return cls(value)
        name = value.strip().upper().replace("-", "_")
        aliases = {"ERROR": "ERROR_IF_EXISTS", "ERRORIFEXISTS": "ERROR_IF_EXISTS"}
        name = aliases.get(name, name)
        if not name.startswith("SAVE_MODE_"):
            name = "SAVE_MODE_" + name
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"Unknown save mode {value!r}; use append, overwrite or error_if_exists.") from None
