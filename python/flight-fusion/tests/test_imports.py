"""Importing the client stays light: Dagster, pandas and polars load only when used."""

import subprocess
import sys


def test_importing_flight_fusion_loads_neither_dagster_nor_dataframe_libraries():
    code = (
        "import sys, flight_fusion\n"
        "from flight_fusion import FusionServiceClient, ClientOptions, SaveMode\n"
        "print(sorted(m for m in ('dagster', 'pandas', 'polars') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_client_works_without_pandas_and_polars():
    code = (
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pandas', 'polars'): raise ImportError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "import pyarrow as pa\n"
        "from flight_fusion.table_conversion import to_arrow_table\n"
        "print(to_arrow_table(pa.table({'a': [1]})).num_rows)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"
