#!/usr/bin/python3
"""Train the sound-event classifier on log-mel rows exported by export-features.ts.

Patches of PATCH_ROWS consecutive log-mel rows (64 Slaney mel bands, 10 ms hop, 0.48 s) are labelled
from the simulator truth (labels()), a ~20k-parameter CNN is trained on the training seeds and exported
to ONNX (opset 17, softmax included). The held-out seeds are only scored here as a quick check; the
figures in the model card come from eval.ts (TypeScript, onnxruntime through @sensorfuse/inference).

  nice -n 10 /usr/bin/python3 tools/train-audio-events/train.py /tmp/audio-events-data models/audio-events
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ['background', 'siren', 'horn', 'dog_bark', 'impact', 'speech']
PATCH_ROWS = 48
TRAIN_HOP_ROWS = 4
EVAL_HOP_ROWS = 16
MIN_EVENT_ROWS = 12   # an event must cover >= 120 ms of the patch to name it
MIN_EVENT_SNR_DB = 0.0  # events quieter than this at the array are not labelled (neither event nor background)
FAINT_BACKGROUND_SNR_DB = -12.0  # ... and events below this count as background
SEED = 7
BACKGROUND_KEEP = 4


def load(data_dir, split):
    meta = json.load(open(os.path.join(data_dir, split + '.json')))
    rows = np.fromfile(os.path.join(data_dir, split + '.f32'), dtype='<f4').reshape(-1, meta['nMels'])
    return meta, rows


def label_of(cls, snr, start):
    """Label of the patch starting at row `start`: class index, or -1 (ambiguous, not used)."""
    c = cls[start:start + PATCH_ROWS]
    s = snr[start:start + PATCH_ROWS]
    if not np.any(c > 0):
        return 0
    loud = (c > 0) & (s >= MIN_EVENT_SNR_DB)
    if not np.any(loud):
        return 0 if np.max(s[c > 0]) < FAINT_BACKGROUND_SNR_DB else -1
    kinds = np.unique(c[loud])
    if len(kinds) != 1:
        return -1
    k = int(kinds[0])
    return k if int(np.sum(loud)) >= MIN_EVENT_ROWS else -1


def patches(meta, hop):
    cls = np.asarray(meta['cls'], dtype=np.int64)
    snr = np.asarray(meta['snr'], dtype=np.float32)
    starts, labels, seeds = [], [], []
    for sc in meta['scenes']:
        o, n = sc['rowOffset'], sc['rowCount']
        for s in range(0, n - PATCH_ROWS + 1, hop):
            lab = label_of(cls, snr, o + s)
            if lab >= 0:
                starts.append(o + s)
                labels.append(lab)
                seeds.append(sc['seed'])
    return np.asarray(starts), np.asarray(labels), np.asarray(seeds)


class Net(nn.Module):
    """Input [N, 1, 48 rows, 64 mels] in dB; output class probabilities [N, 6]."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer('mean', torch.tensor(float(mean)))
        self.register_buffer('scale', torch.tensor(1.0 / float(std)))
        self.c1 = nn.Conv2d(1, 16, 3, stride=2, padding=1)
        self.b1 = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.b2 = nn.BatchNorm2d(32)
        self.c3 = nn.Conv2d(32, 48, 3, stride=2, padding=1)
        self.b3 = nn.BatchNorm2d(48)
        self.fc = nn.Linear(96, len(CLASSES))

    def logits(self, x):
        x = (x - self.mean) * self.scale
        x = F.relu(self.b1(self.c1(x)))
        x = F.relu(self.b2(self.c2(x)))
        x = F.relu(self.b3(self.c3(x)))
        x = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.fc(x)

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


def gather(rows_t, starts):
    idx = torch.as_tensor(starts)[:, None] + torch.arange(PATCH_ROWS)[None, :]
    return rows_t[idx].unsqueeze(1)


def scores(y_true, y_pred):
    k = len(CLASSES)
    cm = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    out = {}
    for i, name in enumerate(CLASSES):
        tp = cm[i, i]
        prec = tp / max(1, cm[:, i].sum())
        rec = tp / max(1, cm[i, :].sum())
        f1 = 2 * prec * rec / max(1e-9, prec + rec)
        out[name] = (round(float(prec), 3), round(float(rec), 3), round(float(f1), 3), int(cm[i, :].sum()))
    return cm, out


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else '/tmp/audio-events-data'
    out_dir = sys.argv[2] if len(sys.argv) > 2 else 'models/audio-events'
    epochs = int(os.environ.get('EPOCHS', '6'))
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    meta, rows = load(data_dir, 'train')
    hmeta, hrows = load(data_dir, 'heldout')
    starts, labels, _ = patches(meta, TRAIN_HOP_ROWS)
    # background is ~90 % of the patches: keep one in BACKGROUND_KEEP (a fixed draw) to shorten the epochs
    keep = (labels > 0) | (np.random.RandomState(SEED).randint(0, BACKGROUND_KEEP, len(labels)) == 0)
    starts, labels = starts[keep], labels[keep]
    hstarts, hlabels, _ = patches(hmeta, EVAL_HOP_ROWS)
    print('train patches per class', np.bincount(labels, minlength=len(CLASSES)).tolist())
    print('held-out patches per class', np.bincount(hlabels, minlength=len(CLASSES)).tolist())
    mean, std = float(rows.mean()), float(rows.std())
    rows_t = torch.from_numpy(rows)
    hrows_t = torch.from_numpy(hrows)
    net = Net(mean, std)
    print('parameters', sum(p.numel() for p in net.parameters()))
    counts = np.bincount(labels, minlength=len(CLASSES)).astype(np.float64)
    weights = torch.tensor((counts.sum() / (len(CLASSES) * np.maximum(counts, 1))) ** 0.5, dtype=torch.float32)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-3)
    batch = 128
    steps = epochs * (len(starts) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    lab_t = torch.as_tensor(labels)
    t0 = time.time()
    for ep in range(epochs):
        net.train()
        perm = np.random.permutation(len(starts))
        total = 0.0
        for b in range(len(starts) // batch):
            sel = perm[b * batch:(b + 1) * batch]
            x = gather(rows_t, starts[sel])
            # level augmentation (a nearer or farther source): shift the dB values
            x = x + torch.empty(x.shape[0], 1, 1, 1).uniform_(-6, 6)
            # frequency mask
            f0 = np.random.randint(0, 56)
            x[: batch // 2, :, :, f0:f0 + np.random.randint(0, 8)] = mean
            loss = F.cross_entropy(net.logits(x), lab_t[sel], weight=weights, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
        net.eval()
        with torch.no_grad():
            pred = torch.cat([net(gather(hrows_t, hstarts[i:i + 512])).argmax(1) for i in range(0, len(hstarts), 512)]).numpy()
        acc = float((pred == hlabels).mean())
        print(f'epoch {ep + 1}/{epochs} loss {total / max(1, len(starts) // batch):.4f} held-out patch accuracy {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)
    cm, per = scores(hlabels, pred)
    print('held-out confusion (rows truth, cols predicted)', CLASSES)
    print(cm)
    for k, v in per.items():
        print(f'{k:>11}: precision {v[0]} recall {v[1]} F1 {v[2]} (n={v[3]})')
    os.makedirs(out_dir, exist_ok=True)
    dummy = torch.zeros(1, 1, PATCH_ROWS, rows.shape[1])
    path = os.path.join(out_dir, 'audio-events.onnx')
    torch.onnx.export(net, dummy, path, input_names=['logmel'], output_names=['probabilities'],
                      dynamic_axes={'logmel': {0: 'batch'}, 'probabilities': {0: 'batch'}}, opset_version=17)
    json.dump({'parameters': sum(p.numel() for p in net.parameters()), 'mean': mean, 'std': std, 'epochs': epochs,
               'trainPatches': np.bincount(labels, minlength=len(CLASSES)).tolist(),
               'trainSeconds': round(time.time() - t0)},
              open(os.path.join(out_dir, 'training.json'), 'w'), indent=2)
    print('wrote', path)


if __name__ == '__main__':
    main()
