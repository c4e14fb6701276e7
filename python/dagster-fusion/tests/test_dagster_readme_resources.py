"""The original README's RESOURCES_LOCAL snippet on this release: verbatim it fails clearly on the MLflow names
(a later release), and without them it builds the resources dict."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "flight-fusion" / "tests" / "data" / "original-README.md"


def _resources_block() -> str:
    blocks = re.findall(r"```py[^\n]*\n(.*?)```", README.read_text(), re.S)
    return next(block for block in blocks if "RESOURCES_LOCAL" in block)


def test_readme_resources_snippet_verbatim_fails_clearly_on_the_mlflow_names() -> None:
    with pytest.raises(ImportError, match=r"mlflow_tracking .* is not part of this release"):
        exec(compile(_resources_block(), str(README), "exec"), {})


def test_readme_resources_snippet_without_the_mlflow_names_builds_resources_local() -> None:
    block = _resources_block()
    subset = "\n".join(
        line
        for line in block.splitlines()
        if not re.search(r"mlflow_tracking,|model_artifact_io_manager,|\"model_artifact_io\"|\"mlflow\":", line)
    )
    namespace: dict[str, object] = {}
    exec(compile(subset, str(README), "exec"), namespace)
    assert set(namespace["RESOURCES_LOCAL"]) == {"mlfusion_config", "fusion_client", "fusion_io"}
