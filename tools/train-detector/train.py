#!/usr/bin/python3
"""Train the tiny anchor-free simulator detector and export it to ONNX (opset 17).

Input  images [1, 3, 192, 320] float32 NCHW RGB in [0, 1] (p / 255, the camera worker's letterbox).
Output output0 [1, 4 + C, N]: cx, cy, w, h in input pixels, then C sigmoid class scores (the YOLOv8 raw
layout the camera worker decodes with class-wise NMS). N = 40x24 cells at stride 8 + 20x12 at stride 16.

Head: per cell, distances to the box sides (l, t, r, b) = softplus(raw) * stride, and class logits.
Assignment (FCOS-style centre sampling): a box is learnt at the scale fitting its longest side, by the
cells whose centre lies inside the box and within 1.5 strides of its centre (the centre cell when none).
Loss: sigmoid focal loss on the classes (targets = IoU of the cell's predicted box with its truth, so
scores rank well-placed boxes first for NMS) + GIoU on positives.

  nice -n 10 /usr/bin/python3 tools/train-detector/train.py /tmp/sfdet models/sim-detector [minutes]
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["car", "truck", "pedestrian", "cyclist", "animal"]
W, H = 320, 192
STRIDES = (8, 16)
SPLIT_SIDE = 48.0  # longest side (input px) from which a box is learnt at stride 16


def conv(cin, cout, stride=1, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = conv(c, c)
        self.b = conv(c, c)

    def forward(self, x):
        return x + self.b(self.a(x))


class TinyDet(nn.Module):
    def __init__(self, nc=len(CLASSES)):
        super().__init__()
        self.nc = nc
        self.s4 = nn.Sequential(conv(3, 12, 2), conv(12, 24, 2))  # 80x48
        self.s8 = nn.Sequential(conv(24, 48, 2), Block(48))  # 40x24
        self.s16 = nn.Sequential(conv(48, 80, 2), Block(80))  # 20x12
        self.up = conv(80, 48, k=1)
        self.h8 = nn.Sequential(conv(48, 48), nn.Conv2d(48, 4 + nc, 1))
        self.h16 = nn.Sequential(conv(80, 80), nn.Conv2d(80, 4 + nc, 1))
        for h in (self.h8, self.h16):
            nn.init.constant_(h[1].bias[4:], -4.6)  # prior 0.01
        grids, strides = [], []
        for s in STRIDES:
            gy, gx = torch.meshgrid(torch.arange(H // s), torch.arange(W // s), indexing="ij")
            grids.append(torch.stack([(gx.flatten() + 0.5) * s, (gy.flatten() + 0.5) * s], 0))
            strides.append(torch.full((gx.numel(),), float(s)))
        self.register_buffer("centers", torch.cat(grids, 1))  # [2, N]
        self.register_buffer("cell_stride", torch.cat(strides))  # [N]

    def raw(self, x):
        f4 = self.s4(x)
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        f8 = f8 + F.interpolate(self.up(f16), scale_factor=2.0, mode="nearest")
        o8 = self.h8(f8).flatten(2)
        o16 = self.h16(f16).flatten(2)
        return torch.cat([o8, o16], 2)  # [B, 4 + nc, N]

    def ltrb(self, raw):
        return F.softplus(raw[:, :4]) * self.cell_stride  # [B, 4, N]

    def forward(self, x):
        r = self.raw(x)
        d = self.ltrb(r)
        cx, cy = self.centers[0], self.centers[1]
        x1 = cx - d[:, 0]
        y1 = cy - d[:, 1]
        x2 = cx + d[:, 2]
        y2 = cy + d[:, 3]
        box = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
        return torch.cat([box, torch.sigmoid(r[:, 4:])], 1)


def load(dirname, split):
    meta = json.load(open(os.path.join(dirname, split + ".json")))
    data = np.fromfile(os.path.join(dirname, split + ".u8"), dtype=np.uint8).reshape(-1, H, W, 3)
    boxes = [np.array([[b["cls"], b["x1"], b["y1"], b["x2"], b["y2"]] for b in f["boxes"]], dtype=np.float32).reshape(-1, 5) for f in meta["frames"]]
    return data, boxes


def assign(model, gts):
    """Per cell: target class (-1 = background) and truth box x1y1x2y2."""
    centers = model.centers.numpy().T  # [N, 2]
    strides = model.cell_stride.numpy()
    n = centers.shape[0]
    cls = np.full(n, -1, np.int64)
    tbox = np.zeros((n, 4), np.float32)
    area = np.full(n, np.inf, np.float32)
    for c, x1, y1, x2, y2 in gts:
        side = max(x2 - x1, y2 - y1)
        s = 16 if side >= SPLIT_SIDE else 8
        bx, by = (x1 + x2) / 2, (y1 + y2) / 2
        on = strides == s
        inside = (centers[:, 0] > x1) & (centers[:, 0] < x2) & (centers[:, 1] > y1) & (centers[:, 1] < y2)
        near = (np.abs(centers[:, 0] - bx) < 1.5 * s) & (np.abs(centers[:, 1] - by) < 1.5 * s)
        pos = on & inside & near
        if not pos.any():
            d = np.where(on, np.hypot(centers[:, 0] - bx, centers[:, 1] - by), np.inf)
            pos = np.zeros(n, bool)
            pos[int(np.argmin(d))] = True
        a = (x2 - x1) * (y2 - y1)
        take = pos & (a < area)
        cls[take] = int(c)
        tbox[take] = (x1, y1, x2, y2)
        area[take] = a
    return cls, tbox


def giou(p, t):
    ix1 = torch.max(p[:, 0], t[:, 0]); iy1 = torch.max(p[:, 1], t[:, 1])
    ix2 = torch.min(p[:, 2], t[:, 2]); iy2 = torch.min(p[:, 3], t[:, 3])
    inter = (ix2 - ix1).clamp(min=0) * (iy2 - iy1).clamp(min=0)
    ap = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1]); at = (t[:, 2] - t[:, 0]) * (t[:, 3] - t[:, 1])
    union = ap + at - inter + 1e-6
    iou = inter / union
    cx1 = torch.min(p[:, 0], t[:, 0]); cy1 = torch.min(p[:, 1], t[:, 1])
    cx2 = torch.max(p[:, 2], t[:, 2]); cy2 = torch.max(p[:, 3], t[:, 3])
    hull = (cx2 - cx1) * (cy2 - cy1) + 1e-6
    return iou - (hull - union) / hull, iou


def main():
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    minutes = float(sys.argv[3]) if len(sys.argv) > 3 else 11.0
    torch.set_num_threads(2)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    images, boxes = load(data_dir, "train")
    print(f"train frames {len(images)}, boxes {sum(len(b) for b in boxes)}", flush=True)
    model = TinyDet().to(memory_format=torch.channels_last)
    print(f"parameters {sum(p.numel() for p in model.parameters())}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    batch = 16
    t0 = time.time()
    budget = minutes * 60
    step = 0
    while time.time() - t0 < budget:
        idx = rng.choice(len(images), batch, replace=False)
        x = torch.from_numpy(images[idx]).permute(0, 3, 1, 2).float().div(255.0)
        gts = [boxes[i].copy() for i in idx]
        flip = rng.random(batch) < 0.5
        for k in range(batch):
            if flip[k]:
                x[k] = x[k].flip(-1)
                g = gts[k]
                g[:, [1, 3]] = W - g[:, [3, 1]]
        # brightness / contrast jitter
        x = (x * torch.from_numpy(rng.uniform(0.75, 1.25, (batch, 1, 1, 1))).float() + torch.from_numpy(rng.uniform(-0.08, 0.08, (batch, 1, 1, 1))).float()).clamp(0, 1)
        x = x.contiguous(memory_format=torch.channels_last)
        targets = [assign(model, g[:, :]) for g in gts]
        tcls = torch.from_numpy(np.stack([t[0] for t in targets]))  # [B, N]
        tbox = torch.from_numpy(np.stack([t[1] for t in targets]))  # [B, N, 4]
        # cosine learning rate over the time budget
        frac = min(1.0, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g["lr"] = 3e-3 * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac))) * min(1.0, (step + 1) / 100)
        model.train()
        r = model.raw(x)
        d = model.ltrb(r)  # [B, 4, N]
        c = model.centers
        pbox = torch.stack([c[0] - d[:, 0], c[1] - d[:, 1], c[0] + d[:, 2], c[1] + d[:, 3]], 2)  # [B, N, 4]
        logits = r[:, 4:].permute(0, 2, 1)  # [B, N, C]
        pos = tcls >= 0
        npos = max(1, int(pos.sum()))
        target = torch.zeros_like(logits)
        if pos.any():
            g, iou = giou(pbox[pos], tbox[pos])
            box_loss = (1 - g).sum() / npos
            target[pos, tcls[pos]] = iou.detach().clamp(min=0.1)
        else:
            box_loss = logits.sum() * 0
        p = torch.sigmoid(logits)
        ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        # quality focal loss (Li et al., GFL): |target - p|^2 modulation
        cls_loss = (ce * (target - p).abs().pow(2)).sum() / npos
        loss = cls_loss + 2.0 * box_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step} t={time.time() - t0:.0f}s loss {loss.item():.3f} cls {cls_loss.item():.3f} box {box_loss.item():.3f} lr {opt.param_groups[0]['lr']:.5f}", flush=True)
        step += 1
    print(f"trained {step} steps ({step * batch} images) in {time.time() - t0:.0f}s", flush=True)
    model = model.to(memory_format=torch.contiguous_format).eval()
    os.makedirs(out_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(data_dir, "sim-detector.pt"))
    onnx_path = os.path.join(out_dir, "sim-detector.onnx")
    n = model.centers.shape[1]
    torch.onnx.export(model, torch.zeros(1, 3, H, W), onnx_path, opset_version=17, input_names=["images"], output_names=["output0"], do_constant_folding=True)
    card = {
        "name": "sim-detector",
        "version": "1",
        "inputs": [{"name": "images", "type": "float32", "shape": [1, 3, H, W], "layout": "NCHW RGB, p / 255, letterboxed (pad 114)"}],
        "outputs": [{"name": "output0", "type": "float32", "shape": [1, 4 + len(CLASSES), n], "layout": "[1, 4+C, N] cx,cy,w,h (input pixels) + sigmoid class scores"}],
        "classes": CLASSES,
        "preprocess": {"scale": 1 / 255, "mean": [0, 0, 0], "std": [1, 1, 1], "channelOrder": "rgb", "padValue": 114},
        "postprocess": {"layout": "yolo"},
        "source": "tools/train-detector (trained on @sensorfuse/simulator camera frames; see MODEL_CARD.md)",
        "license": "same as the Sensorfuse repository",
        "trainingSteps": step,
        "trainingImages": step * batch,
    }
    with open(os.path.join(out_dir, "sim-detector.card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes)", flush=True)


if __name__ == "__main__":
    main()
