"""Peer for shared/eval's detection metrics: runs the nuScenes devkit's own accumulate / calc_ap / calc_tp.

stdin: {"gt": [box], "pred": [box with "score"], "classes": [...], "dist_ths": [...], "tp_th": 2.0}
       box = {"sample": str, "name": str, "trans": [x, y, z], "size": [w, l, h], "yaw": rad, "vel": [vx, vy]}
stdout: {class: {"ap": {str(th): ap}, "tp": {metric: err}}}
Only the devkit's evaluation modules are loaded: the package __init__ (NuScenes, rendering) and the
plotting/imaging libraries it imports at module level are bypassed with inert stubs, since
accumulate/calc_ap/calc_tp never call them. Run with Debian's /usr/bin/python3 (numpy from apt;
nuscenes-devkit and pyquaternion from PyPI, installed without their rendering dependencies).
"""
import importlib.abc
import importlib.machinery
import importlib.util
import json
import math
import sys
import types

STUB_ROOTS = {"cv2", "matplotlib", "PIL", "tqdm", "descartes", "sklearn", "shapely"}


class _Any:
    def __getattr__(self, name):
        return _Any()

    def __call__(self, *args, **kwargs):
        return _Any()

    def __mro_entries__(self, bases):
        return (object,)


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda name: _Any()
        return module

    def exec_module(self, module):
        pass


class _StubFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in STUB_ROOTS and importlib.machinery.PathFinder.find_spec(fullname.split(".")[0]) is None:
            return importlib.machinery.ModuleSpec(fullname, _StubLoader(), is_package=True)
        return None


def load_devkit():
    sys.meta_path.insert(0, _StubFinder())
    spec = importlib.util.find_spec("nuscenes")
    if spec is None:
        raise SystemExit("nuscenes-devkit is not installed")
    package = types.ModuleType("nuscenes")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["nuscenes"] = package
    from nuscenes.eval.common.data_classes import EvalBoxes
    from nuscenes.eval.common.utils import center_distance
    from nuscenes.eval.detection.algo import accumulate, calc_ap, calc_tp
    from nuscenes.eval.detection.data_classes import DetectionBox
    return EvalBoxes, DetectionBox, center_distance, accumulate, calc_ap, calc_tp


def main():
    EvalBoxes, DetectionBox, center_distance, accumulate, calc_ap, calc_tp = load_devkit()
    data = json.load(sys.stdin)

    def boxes(items, with_score):
        out = EvalBoxes()
        by_sample = {}
        for b in items:
            yaw = b["yaw"]
            box = DetectionBox(
                sample_token=b["sample"],
                translation=tuple(b["trans"]),
                size=tuple(b["size"]),
                rotation=(math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)),
                velocity=tuple(b["vel"]),
                detection_name=b["name"],
                detection_score=float(b["score"]) if with_score else -1.0,
            )
            by_sample.setdefault(b["sample"], []).append(box)
        for sample, bs in by_sample.items():
            out.add_boxes(sample, bs)
        return out

    gt = boxes(data["gt"], False)
    pred = boxes(data["pred"], True)
    result = {}
    for cls in data["classes"]:
        aps = {}
        for th in data["dist_ths"]:
            md = accumulate(gt, pred, cls, center_distance, th)
            aps[repr(float(th)).rstrip("0").rstrip(".") if th != int(th) else str(int(th))] = calc_ap(md, 0.1, 0.1)
        md = accumulate(gt, pred, cls, center_distance, data["tp_th"])
        tps = {m: calc_tp(md, 0.1, m) for m in ["trans_err", "scale_err", "orient_err", "vel_err"]}
        result[cls] = {"ap": aps, "tp": tps}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
