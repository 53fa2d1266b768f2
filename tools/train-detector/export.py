#!/usr/bin/python3
"""Export saved TinyDet weights (an EMA snapshot / state_dict .pt) to <out>/sim-detector.onnx + .card.json at
a frame size (default 640x384), as train.py exports its best checkpoint. Used for v4: train.py --snapshots
kept every checkpoint's EMA and validate.py chose one on the validation splits.

  /usr/bin/python3 tools/train-detector/export.py <weights.pt> <outDir> [WxH=640x384] [--version=4] [--meta='{"trainingSteps": 1}']
"""
import json
import sys

import torch

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import train  # noqa: E402


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    weights, out_dir = args[0], args[1]
    w, h = (int(v) for v in (args[2] if len(args) > 2 else "640x384").split("x"))
    train.W, train.H = w, h
    train.VERSION = next((a[len("--version="):] for a in sys.argv if a.startswith("--version=")), None)
    meta = json.loads(next((a[len("--meta="):] for a in sys.argv if a.startswith("--meta=")), "{}"))
    torch.set_num_threads(1)
    model = train.TinyDet(w=w, h=h)
    model.load_state_dict({k: v for k, v in torch.load(weights).items() if k not in ("centers", "cell_stride")})
    print(train.export(model, out_dir, meta))


if __name__ == "__main__":
    main()
