"""Sensor-neutral stages: Detections, decoding by model output layout, NMS, filters, polar -> metric,
rules and events (pure functions on numpy arrays), plus the model shell around them (``detector``:
the onnxruntime session; ``batcher``: inference threads; ``modelref``: model files and hashes).
"""
