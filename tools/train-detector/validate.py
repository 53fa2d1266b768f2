#!/usr/bin/python3
"""Score saved weights (a TinyDet state_dict .pt: an EMA snapshot or sim-detector.pt) on validation splits
with train.py's own evaluation (mAP@0.5 per preset and per class, full frame size) and print the selection
value: the mean over the splits of their all-frames mAP (as train.py --val=a,b selects). Validation seeds
only; the held-out seeds are scored by eval.ts, once, on the chosen model.

  /usr/bin/python3 tools/train-detector/validate.py <dataDir> <val[,valu]> <weights.pt> [more.pt ...]
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def main():
    data_dir, splits, weights = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    torch.set_num_threads(1)
    vals = [(s, train.load(data_dir, s)) for s in splits]
    for wpath in weights:
        sd = {k: v for k, v in torch.load(wpath).items() if k not in ("centers", "cell_stride")}
        ms = []
        for name, (images, boxes, presets) in vals:
            m = train.TinyDet(w=images.shape[2], h=images.shape[1])
            m.load_state_dict(sd)
            t = time.time()
            res = train.evaluate(m, images, boxes, presets)
            ms.append(res["all"][0])
            print(f"{wpath} [{name}] " + " ".join(f"{p} {v[0]:.3f}" for p, v in res.items()) + " | AP "
                  + " ".join(f"{c} {a:.3f}" for c, a in zip(train.CLASSES, res["all"][1])) + f" ({time.time() - t:.0f}s)", flush=True)
            for p, (mp, aps) in res.items():
                if p != "all":
                    print(f"    {p}: " + " ".join(f"{c} {a:.3f}" for c, a in zip(train.CLASSES, aps)), flush=True)
        print(f"{wpath} selection {float(np.mean(ms)):.3f}", flush=True)


if __name__ == "__main__":
    main()
