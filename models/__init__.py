"""ONNX models shipped with borderwatch, their manifest and registry, and the offline training scripts."""
