"""Peer for shared/eval's CLEAR-MOT/IDF1: feeds the same frames to py-motmetrics and prints its metrics.

stdin: {"sequences": [[{"oids": [...], "hids": [...], "dists": [[d or null, ...], ...]}, ...], ...]}
stdout: {"sequences": [{metric: value, ...}, ...], "overall": {metric: value, ...}}
Run with Debian's /usr/bin/python3 (numpy, scipy, pandas from apt; motmetrics from PyPI).
"""
import json
import math
import sys

import motmetrics as mm
import numpy as np

METRICS = [
    "num_frames", "num_matches", "num_switches", "num_transfer", "num_ascend", "num_migrate",
    "num_false_positives", "num_misses", "num_detections", "num_objects", "num_predictions",
    "num_unique_objects", "mostly_tracked", "partially_tracked", "mostly_lost", "num_fragmentations",
    "mota", "motp", "precision", "recall", "idtp", "idfp", "idfn", "idp", "idr", "idf1",
]


def to_plain(value):
    v = float(value)
    return None if math.isnan(v) else v


def main():
    data = json.load(sys.stdin)
    accs = []
    for frames in data["sequences"]:
        acc = mm.MOTAccumulator(auto_id=True)
        for f in frames:
            no, nh = len(f["oids"]), len(f["hids"])
            d = np.array([[np.nan if x is None else x for x in row] for row in f["dists"]], dtype=float)
            acc.update(f["oids"], f["hids"], d.reshape(no, nh))
        accs.append(acc)
    mh = mm.metrics.create()
    summary = mh.compute_many(accs, metrics=METRICS, generate_overall=True)
    rows = [{m: to_plain(summary.iloc[i][m]) for m in METRICS} for i in range(len(summary))]
    json.dump({"sequences": rows[:-1], "overall": rows[-1]}, sys.stdout)


if __name__ == "__main__":
    main()
