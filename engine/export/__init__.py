"""Export a trained network: to ONNX (``engine.export.onnx``) and to a standalone PyTorch
script (``engine.export.torch_script``).  Both walk the same graph (``engine.export.graph``).

Neither imports its target library at import time: ``onnx`` is imported when a model is
built, and the PyTorch script is plain text (torch is needed only to run it).
"""
