"""`ContextClient`: SQL over several datasets at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from flight_fusion.flight_requests import query_ticket

if TYPE_CHECKING:
    from flight_fusion.service_client import FusionServiceClient

__all__ = ["ContextClient"]


class ContextClient:
    """A query context over datasets (CommandExecuteQuery with a SourceCollection).

    @example
    ffc.get_context([AssetKey(["demo", "a"]), AssetKey(["demo", "b"])]).query("SELECT * FROM a JOIN b USING (id)")
    """

    def __init__(self, service: FusionServiceClient, paths: Sequence[Sequence[str]]) -> None:
        self._service = service
        self.paths = [list(path) for path in paths]

    def query(self, sql: str) -> pa.Table:
        """Runs SQL over the context's datasets; each is named by its key's last segment."""
        client = self._service.flight_client
        with self._service.errors(data=True):
            return client.do_get(query_ticket(sql, self.paths), self._service.call_options(data=True)).read_all()
