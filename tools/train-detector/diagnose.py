#!/usr/bin/python3
"""Why does the detector miss a class? Per truth object of that class (default truck) on a dumped split
(validation seeds only: never the held-out 101-102), what the model did with it, after the camera
worker's decoding (best class per cell, score >= 0.01, class-wise NMS 0.45, as train.py's evaluate):

  found       a detection of the class at IoU >= 0.5 with score >= 0.25 (the worker's threshold)
  found-low   ... only below score 0.25 (counts for AP, ranked among the false positives)
  other-class no detection of the class at IoU >= 0.5, but one of another class (e.g. car) at IoU >= 0.5
  mislocated  a detection of the class at 0.2 <= IoU < 0.5 (boxed, but not tightly enough)
  missed      none of the above

broken down by box height (source px) and visible fraction (the dump's `vis`, when present), plus what
the class's false positives (score >= 0.25, no truth of the class at IoU >= 0.5) lie on. Also the
raw per-cell view: at the cell nearest each truth centre (the cell that must fire), the class score vs
the best other class score.

  /usr/bin/python3 tools/train-detector/diagnose.py <weights.pt> <dataDir> <split>[,<split>...] [preset=urban-day] [class=truck]
"""
import collections
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def iou_many(b, g):
    iw = np.clip(np.minimum(b[2], g[:, 2]) - np.maximum(b[0], g[:, 0]), 0, None)
    ih = np.clip(np.minimum(b[3], g[:, 3]) - np.maximum(b[1], g[:, 1]), 0, None)
    inter = iw * ih
    return inter / np.maximum((b[2] - b[0]) * (b[3] - b[1]) + (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]) - inter, 1e-9)


def main():
    weights, data_dir, splits = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    preset = sys.argv[4] if len(sys.argv) > 4 else "urban-day"
    cname = sys.argv[5] if len(sys.argv) > 5 else "truck"
    target = train.CLASSES.index(cname)
    torch.set_num_threads(1)
    rows, fps = [], collections.Counter()
    for split in splits:
        meta = json.load(open(os.path.join(data_dir, split + ".json")))
        h, w = meta["height"], meta["width"]
        data = np.memmap(os.path.join(data_dir, split + ".u8"), dtype=np.uint8, mode="r").reshape(-1, h, w, 3)
        model = train.TinyDet(w=w, h=h)
        model.load_state_dict({k: v for k, v in torch.load(weights).items() if k not in ("centers", "cell_stride")})
        model.eval()
        centers = model.centers.numpy().T
        idx = [i for i, f in enumerate(meta["frames"]) if f["preset"] == preset]
        for start in range(0, len(idx), 16):
            chunk = idx[start:start + 16]
            x = torch.from_numpy(np.stack([data[i] for i in chunk])).permute(0, 3, 1, 2).float().div(255.0)
            with torch.no_grad():
                out = model(x).numpy()
            for k, fi in enumerate(chunk):
                f = meta["frames"][fi]
                o = out[k]
                sc_all = o[4:]
                sc, cl = sc_all.max(0), sc_all.argmax(0)
                m = sc >= 0.01
                b = np.stack([o[0] - o[2] / 2, o[1] - o[3] / 2, o[0] + o[2] / 2, o[1] + o[3] / 2], 1)
                dets = []  # (cls, score, box)
                for c in range(len(train.CLASSES)):
                    mc = m & (cl == c)
                    bc, scc = b[mc], sc[mc]
                    top = np.argsort(-scc)[:100]
                    bc, scc = bc[top], scc[top]
                    for i in train.nms(bc, scc, 0.45):
                        dets.append((c, float(scc[i]), bc[i]))
                gts = np.array([[g["cls"], g["x1"], g["y1"], g["x2"], g["y2"]] for g in f["boxes"]], np.float32).reshape(-1, 5)
                for g in f["boxes"]:
                    if g["cls"] != target:
                        continue
                    gb = np.array([[g["x1"], g["y1"], g["x2"], g["y2"]]], np.float32)
                    best_t, best_t_score, best_o, best_o_cls = 0.0, 0.0, 0.0, -1
                    hit_scores = []
                    for c, s, db in dets:
                        v = float(iou_many(db, gb)[0])
                        if c == target:
                            if v >= 0.5:
                                hit_scores.append(s)
                            if v > best_t:
                                best_t, best_t_score = v, s
                        elif v >= 0.5 and s > best_o:
                            best_o, best_o_cls = s, c
                    if hit_scores and max(hit_scores) >= 0.25:
                        kind = "found"
                    elif hit_scores:
                        kind = "found-low"
                    elif best_o_cls >= 0:
                        kind = "other-class:" + train.CLASSES[best_o_cls]
                    elif best_t >= 0.2:
                        kind = "mislocated"
                    else:
                        kind = "missed"
                    cx, cy = (g["x1"] + g["x2"]) / 2, (g["y1"] + g["y2"]) / 2
                    side = max(g["x2"] - g["x1"], g["y2"] - g["y1"])
                    lvl = train.level_of(side)
                    on = model.cell_stride.numpy() == lvl
                    d = np.where(on, np.hypot(centers[:, 0] - cx, centers[:, 1] - cy), np.inf)
                    ci = int(np.argmin(d))
                    cell_t = float(sc_all[target, ci])
                    cell_o = float(np.delete(sc_all[:, ci], target).max())
                    cell_o_cls = train.CLASSES[int(np.argmax(np.where(np.arange(len(train.CLASSES)) == target, -1, sc_all[:, ci])))]
                    cb = b[ci]
                    cell_iou = float(iou_many(cb, gb)[0])
                    rows.append({
                        "split": split, "seed": f["seed"], "id": g.get("id"), "w": g["x2"] - g["x1"], "h": g["y2"] - g["y1"],
                        "vis": g.get("vis"), "kind": kind, "best_iou": best_t, "best_iou_score": best_t_score,
                        "hit_score": max(hit_scores) if hit_scores else 0.0, "cell_t": cell_t, "cell_o": cell_o, "cell_o_cls": cell_o_cls,
                        "cell_iou": cell_iou, "cell_box": [round(float(v), 1) for v in cb], "gt": [round(g[k2], 1) for k2 in ("x1", "y1", "x2", "y2")],
                    })
                # false positives of the class at the worker threshold
                for c, s, db in dets:
                    if c != target or s < 0.25:
                        continue
                    v = iou_many(db, gts[:, 1:]) if len(gts) else np.zeros(0)
                    same = v[gts[:, 0] == target] if len(gts) else v
                    if len(same) and same.max() >= 0.5:
                        continue
                    if len(v) and v.max() >= 0.5:
                        fps["on a " + train.CLASSES[int(gts[int(np.argmax(v)), 0])]] += 1
                    elif len(same) and same.max() >= 0.2:
                        fps["on a " + cname + " at IoU 0.2-0.5"] += 1
                    elif len(v) and v.max() >= 0.2:
                        fps["near a " + train.CLASSES[int(gts[int(np.argmax(v)), 0])] + " (IoU 0.2-0.5)"] += 1
                    else:
                        fps["background"] += 1
    print(f"{len(rows)} {cname} truth boxes, preset {preset}, splits {','.join(splits)}, weights {weights}")
    kinds = collections.Counter(r["kind"] for r in rows)
    print("outcome:", ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    bins = [(0, 12), (12, 16), (16, 24), (24, 48), (48, 1e9)]
    print("by box height (source px): bin | n | " + " | ".join(sorted(kinds)))
    for lo, hi in bins:
        sel = [r for r in rows if lo <= r["h"] < hi]
        c = collections.Counter(r["kind"] for r in sel)
        print(f"  h {lo}-{hi:g}: {len(sel)} | " + " | ".join(str(c[k]) for k in sorted(kinds)))
    if any(r["vis"] is not None for r in rows):
        print("by visible fraction:")
        for lo, hi in [(0.3, 0.6), (0.6, 0.9), (0.9, 1.01)]:
            sel = [r for r in rows if r["vis"] is not None and lo <= r["vis"] < hi]
            c = collections.Counter(r["kind"] for r in sel)
            print(f"  vis {lo}-{hi:g}: {len(sel)} | " + " | ".join(str(c[k]) for k in sorted(kinds)))
    print("objects (seed/id): n boxes, median w x h, outcomes")
    by_obj = collections.defaultdict(list)
    for r in rows:
        by_obj[(r["split"], r["seed"], r["id"])].append(r)
    for key, rs in sorted(by_obj.items(), key=lambda kv: str(kv[0])):
        c = collections.Counter(r["kind"] for r in rs)
        print(f"  {key[1]}/{key[2]}: {len(rs)} boxes, {np.median([r['w'] for r in rs]):.0f}x{np.median([r['h'] for r in rs]):.0f} px, vis {np.median([r['vis'] or 0 for r in rs]):.2f}: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    ious = np.array([r["best_iou"] for r in rows])
    print(f"best same-class IoU: median {np.median(ious):.2f}, share >= 0.5 {np.mean(ious >= 0.5):.2f}, 0.3-0.5 {np.mean((ious >= 0.3) & (ious < 0.5)):.2f}")
    ct = np.array([r["cell_t"] for r in rows]); co = np.array([r["cell_o"] for r in rows])
    print(f"centre cell: {cname} score median {np.median(ct):.3f}, best other class median {np.median(co):.3f}, other > {cname} in {np.mean(co > ct):.2f} "
          f"({collections.Counter(r['cell_o_cls'] for r in rows if r['cell_o'] > r['cell_t']).most_common()}); centre-cell box IoU median {np.median([r['cell_iou'] for r in rows]):.2f}")
    print(f"{cname} false positives (score >= 0.25): " + ", ".join(f"{k} {v}" for k, v in fps.most_common()))
    if "--rows" in sys.argv:
        for r in rows:
            print(json.dumps(r))


if __name__ == "__main__":
    main()
