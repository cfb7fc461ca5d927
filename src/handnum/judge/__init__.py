"""The learned judge: is a digit the reader found a handwritten digit, or printed text, a handwritten
letter, a drawn mark, or none of these?

Reading (numpy, OpenCV, onnxruntime): `features` (what the judge sees of a mark) → `model` (the ONNX
judge and its verdicts, called once per page by `pipeline.read_image` with `--judge`).
Training (torch, `handnum train-judge`): `glyphs`, `marks`, `layouts` → `scenes` (generated pages with
exact truth) → `collect` (the reader's digits on them, labelled) → `train` (fit, checkpoint, export).
"""
