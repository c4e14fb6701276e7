"""pandas dtypes users meet, through write_into -> Delta -> load. Lossy cases are asserted as documented in the
README's "Data types" table, so a change in behaviour shows up here."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from flight_fusion import AssetKey, FusionServiceClient, SaveMode
from flight_fusion.table_conversion import to_pandas


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "small_int": pd.array([1, 2, None], dtype="Int16"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "text": pd.array(["a", None, "c"], dtype="string"),
            "plain_str": ["x", "y", "z"],
            "category": pd.Categorical(["red", "blue", "red"]),
            "when_berlin": pd.to_datetime(
                ["2024-01-01 10:00:00.123456789", "2024-06-01 12:00:00.000000000", None]
            ).tz_localize("Europe/Berlin"),
            "when_naive": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "real": [1.5, float("nan"), 2.5],
        }
    )


def test_pandas_dtypes_round_trip(fusion_client: FusionServiceClient, dataset_key: AssetKey, frame) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(frame, SaveMode.SAVE_MODE_OVERWRITE)
    loaded = to_pandas(fds.load())

    # exact: nullable integers and booleans keep their nullable dtypes and their NA
    assert str(loaded["nullable_int"].dtype) == "Int64"
    assert loaded["nullable_int"].isna().tolist() == [False, True, False]
    assert loaded["nullable_int"].dropna().tolist() == [1, 3]
    assert str(loaded["small_int"].dtype) == "Int16"
    assert str(loaded["flag"].dtype) == "boolean"
    assert loaded["flag"].tolist()[0] is True and loaded["flag"].isna().tolist() == [False, True, False]
    # exact: strings with missing values; floats with NaN
    assert loaded["text"].tolist()[0] == "a" and pd.isna(loaded["text"].tolist()[1])
    assert loaded["plain_str"].tolist() == ["x", "y", "z"]
    assert loaded["real"].isna().tolist() == [False, True, False]

    # lossy (documented): categoricals come back as strings
    assert loaded["category"].tolist() == ["red", "blue", "red"]
    assert not isinstance(loaded["category"].dtype, pd.CategoricalDtype)
    # tz-aware datetimes keep their zone; lossy (documented): nanoseconds are truncated to microseconds
    berlin = loaded["when_berlin"]
    assert str(berlin.dtype) == "datetime64[us, Europe/Berlin]"
    assert berlin[0] == pd.Timestamp("2024-01-01 09:00:00.123456", tz="UTC")
    assert berlin[1] == frame["when_berlin"][1]
    assert pd.isna(berlin[2])
    # naive datetimes keep their wall time, in microseconds
    assert str(loaded["when_naive"].dtype) == "datetime64[us]"
    assert loaded["when_naive"].tolist() == frame["when_naive"].tolist()


def test_pyarrows_own_to_pandas_turns_int_nulls_into_floats(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    """Why flight_fusion.table_conversion.to_pandas exists (documented in the README)."""
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), SaveMode.SAVE_MODE_OVERWRITE)
    assert str(fds.load().to_pandas()["n"].dtype) == "float64"
    assert str(to_pandas(fds.load())["n"].dtype) == "Int64"


def test_a_named_pandas_index_is_stored_as_a_column(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="key"))
    fds.write_into(frame, SaveMode.SAVE_MODE_OVERWRITE)
    assert sorted(fds.load().column_names) == ["key", "v"]


def test_nanosecond_timestamps_are_truncated_to_microseconds_before_sending() -> None:
    from flight_fusion.table_conversion import to_arrow_table

    table = to_arrow_table(pd.DataFrame({"t": pd.to_datetime(["2024-01-01 00:00:00.000000789"])}))
    assert table.schema.field("t").type == pa.timestamp("us")
