"""dagster_fusion: Dagster resources and IO managers that store assets as ML Fusion datasets.

The original names (`flight_fusion_io_manager`, `flight_fusion_resource`, `mlfusion_configuration`) work as in
the original README's RESOURCES_LOCAL; `FlightFusionIOManager`, `FlightFusionResource` and
`MlFusionConfiguration` are their Configurable* forms.
"""

from typing import Any

from dagster_fusion.configuration import MlFusionConfiguration, MlFusionSettings, mlfusion_configuration
from dagster_fusion.dataset_io import InputSettings, OutputSettings, load_input, store_output
from dagster_fusion.fusion_resource import FlightFusionResource, flight_fusion_resource
from dagster_fusion.io_manager import DatasetIOManager, FlightFusionIOManager, flight_fusion_io_manager
from dagster_fusion.partition_predicate import PartitionSlice, slice_predicate

__version__ = "0.1.0"

__all__ = [
    "flight_fusion_io_manager",
    "flight_fusion_resource",
    "mlfusion_configuration",
    "FlightFusionIOManager",
    "FlightFusionResource",
    "MlFusionConfiguration",
    "MlFusionSettings",
    "DatasetIOManager",
    "InputSettings",
    "OutputSettings",
    "PartitionSlice",
    "load_input",
    "store_output",
    "slice_predicate",
]

#: Names of the original README that belong to a later release (MLflow integration).
_NOT_YET = {
    "mlflow_tracking": "the MLflow tracking resource",
    "model_artifact_io_manager": "the model artifact IO manager",
}


def __getattr__(name: str) -> Any:
    if name in _NOT_YET:
        raise ImportError(
            f"dagster_fusion.{name} ({_NOT_YET[name]}) is not part of this release of dagster-fusion: the MLflow "
            "integration comes later. Leave it out of your resources for now."
        )
    raise AttributeError(f"module 'dagster_fusion' has no attribute {name!r}")
