"""Runs the original README's flight_fusion snippets verbatim against a server started by this package's plugin
code. The snippets hard-code ClientOptions(host="localhost", port=50051), so test_readme_snippets.py runs this
script inside a private network namespace where port 50051 is always free. Not collected by pytest (no test_
prefix): it is a program, run as `python readme_snippets.py README.md`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from flight_fusion.server_process import start_fusion_server


def python_blocks(markdown: str) -> list[str]:
    """The ```py / ```python code blocks of a Markdown text, in order."""
    return [m.group(2) for m in re.finditer(r"```(py|python)[^\n]*\n(.*?)```", markdown, re.S)]


def client_blocks(markdown: str) -> list[str]:
    """The snippets that use flight_fusion alone (the Dagster ones are covered by dagster-fusion's tests)."""
    uses_dagster = re.compile(r"^\s*(from|import)\s+dagster", re.M)
    return [block for block in python_blocks(markdown) if not uses_dagster.search(block)]


def main(readme: str) -> None:
    blocks = client_blocks(Path(readme).read_text())
    assert blocks, f"{readme} has no flight_fusion snippets"
    with start_fusion_server(host="127.0.0.1", port=50051) as server:
        namespace: dict[str, object] = {"__name__": "__readme__"}
        for block in blocks:
            exec(compile(block, readme, "exec"), namespace)
        if "df_example" in namespace:  # the original README: what its snippets wrote is really there
            df_example = namespace["df_example"]
            stored = server.client().get_dataset_client(name="new_dataset", areas=["demo"]).load().to_pandas()
            assert stored.equals(df_example), (stored, df_example)
            assert list(namespace["asset_key"].path) == ["demo", "model_training", "dataset"]
    print(f"ran {len(blocks)} README snippets verbatim against {server.url}")


if __name__ == "__main__":
    main(sys.argv[1])
