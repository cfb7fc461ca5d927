"""Training and fine-tuning (needs the `train` extra: torch, onnx). Never imported by reading."""
