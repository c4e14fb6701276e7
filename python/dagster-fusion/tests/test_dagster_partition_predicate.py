"""The replaceWhere / read filter of a partition slice, as plain text in the server's filter language."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from dagster_fusion import PartitionSlice, slice_predicate

JAN = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))


def test_time_window_on_a_timestamp_column_is_a_half_open_range():
    schema = pa.schema([("day", pa.timestamp("us", tz="UTC"))])
    assert (
        slice_predicate("day", PartitionSlice(time_window=JAN), schema)
        == "day >= '2024-01-01 00:00:00' AND day < '2024-02-01 00:00:00'"
    )


def test_time_window_on_a_date_column_uses_dates():
    schema = pa.schema([("d", pa.date32())])
    assert slice_predicate("d", PartitionSlice(time_window=JAN), schema) == "d >= '2024-01-01' AND d < '2024-02-01'"


def test_time_window_on_a_string_column_matches_the_partition_keys():
    schema = pa.schema([("month", pa.string())])
    selected = PartitionSlice(time_window=JAN, keys=["2024-01-01"])
    assert slice_predicate("month", selected, schema) == "month IN ('2024-01-01')"


def test_static_keys_are_quoted_and_odd_column_names_double_quoted():
    assert slice_predicate("my region", PartitionSlice(keys=["eu", "o'hare"])) == "\"my region\" IN ('eu', 'o''hare')"


def test_multi_partitions_combine_their_dimensions():
    selected = PartitionSlice(
        dimensions={"date": PartitionSlice(time_window=JAN), "region": PartitionSlice(keys=["eu"])}
    )
    schema = pa.schema([("day", pa.date32()), ("region", pa.string())])
    assert (
        slice_predicate({"date": "day", "region": "region"}, selected, schema)
        == "(day >= '2024-01-01' AND day < '2024-02-01') AND (region IN ('eu'))"
    )


def test_a_dimension_without_a_partition_is_refused():
    with pytest.raises(ValueError, match="dimension 'color'"):
        slice_predicate({"color": "c"}, PartitionSlice(dimensions={"date": PartitionSlice(keys=["x"])}))
