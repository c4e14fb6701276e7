"""Generated protobuf messages of the original ML Fusion wire protocol."""
