"""`AssetKey`: Dagster's class when Dagster is installed, an equivalent otherwise (as the original README promises).

A dataset's identity is its asset key: `AssetKey(["demo", "model_training", "dataset"])` names the dataset
`dataset` in the areas `demo/model_training` (AreaSourceReference.location: areas = path[:-1], name = path[-1]).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

__all__ = ["AssetKey", "asset_key_path"]


class _LocalAssetKey:
    """A dataset's identity: its areas followed by its name. Mirrors `dagster.AssetKey` where it matters."""

    __slots__ = ("path",)

    path: list[str]

    def __init__(self, path: str | Sequence[str]) -> None:
        parts = [path] if isinstance(path, str) else list(path)
        if not parts or not all(isinstance(part, str) for part in parts):
            raise ValueError(f"An AssetKey needs one or more string segments, got {path!r}.")
        self.path = parts

    def to_user_string(self) -> str:
        return "/".join(self.path)

    def to_string(self) -> str:
        return '["' + '", "'.join(self.path) + '"]'

    @staticmethod
    def from_user_string(text: str) -> _LocalAssetKey:
        return _LocalAssetKey(text.split("/"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _LocalAssetKey) and other.path == self.path

    def __hash__(self) -> int:
        return hash(tuple(self.path))

    def __repr__(self) -> str:
        return f"AssetKey({self.path!r})"


if TYPE_CHECKING:
    AssetKey = _LocalAssetKey


def __getattr__(name: str) -> Any:
    # Resolved on first use: importing Dagster takes seconds, and most client code never needs the class.
    if name == "AssetKey":
        try:
            from dagster import AssetKey as resolved
        except ImportError:
            resolved = _LocalAssetKey
        globals()["AssetKey"] = resolved
        return resolved
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def asset_key_path(key: Any) -> list[str]:
    """The segments of an AssetKey (Dagster's or ours), a `demo/data` string, or a sequence of segments."""
    if isinstance(key, str):
        return key.split("/")
    path = getattr(key, "path", None)
    if path is not None:
        return [str(part) for part in path]
    if isinstance(key, Sequence):
        return [str(part) for part in key]
    raise TypeError(f"Expected an AssetKey, a 'area/name' string or a list of segments, got {type(key).__name__}.")
