#!/usr/bin/python3
"""Train the per-object attention fusion model (models/fusion-attention) on features exported by
services/fusion-worker/src/strategies/export-attention-features.ts (tuning seeds only).

  nice -n 10 /usr/bin/python3 tools/train-fusion-attention/train.py /tmp/sensorfuse-fusion-attention models/fusion-attention

Model: one token per modality (camera, LIDAR, audio) -> shared MLP + modality embedding -> attention
logit; masked softmax (a masked modality's weight is exactly 0: exp is multiplied by the mask) -> weighted
sum -> MLP -> softmax over background + classes. Outputs `probabilities` [N, 8] and `attention` [N, 3].
Augmentation: modality dropout (each present modality masked with p = 0.25, at least one kept) and
Gaussian noise on scores / reliabilities (sigma 0.05). Validation: 15 % of the objects, split by scene
preset-seed blocks is not possible from the export, so a random split with seed 0 (held-out scenes are the
evaluation's seeds 201-202, never exported for training).
"""
import json, os, sys, time
import numpy as np
import torch
import torch.nn as nn

data_dir, out_dir = sys.argv[1], sys.argv[2]
torch.manual_seed(0); np.random.seed(0)
torch.set_num_threads(1)
meta = json.load(open(os.path.join(data_dir, 'meta.json')))
n, d = meta['n'], meta['tokenDim']
M = len(meta['modalities']); C = len(meta['classes'])
X = np.fromfile(os.path.join(data_dir, 'features.f32'), dtype=np.float32).reshape(n, M, d)
K = np.fromfile(os.path.join(data_dir, 'mask.f32'), dtype=np.float32).reshape(n, M)
Y = np.fromfile(os.path.join(data_dir, 'labels.i32'), dtype=np.int32).astype(np.int64)
perm = np.random.permutation(n); nv = n // 7
va, tr = perm[:nv], perm[nv:]


class AttentionFusion(nn.Module):
    def __init__(self, d, m, c, h=32):
        super().__init__()
        self.embed = nn.Parameter(torch.zeros(m, h))
        self.token = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.score = nn.Linear(h, 1)
        self.head = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, c))

    def forward(self, features, mask):
        t = self.token(features) + self.embed              # [N, M, h]
        a = self.score(torch.tanh(t)).squeeze(-1)          # [N, M]
        a = a - a.max(dim=1, keepdim=True).values
        e = torch.exp(a) * mask                            # masked: exactly 0
        w = e / (e.sum(dim=1, keepdim=True) + 1e-12)
        pooled = (w.unsqueeze(-1) * t).sum(dim=1)
        return torch.softmax(self.head(pooled), dim=-1), w


model = AttentionFusion(d, M, C)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
Xt, Kt, Yt = torch.from_numpy(X), torch.from_numpy(K), torch.from_numpy(Y)
counts = np.bincount(Y, minlength=C).astype(np.float64)
weights = torch.tensor((counts.sum() / np.maximum(counts, 1) / C) ** 0.5, dtype=torch.float32)
nll = nn.NLLLoss(weight=weights)


def augment(x, k):
    drop = (torch.rand_like(k) < 0.25).float() * k
    keep = k - drop
    none = keep.sum(dim=1) == 0
    keep[none] = k[none]
    x = x + 0.05 * torch.randn_like(x) * (x != 0).float()
    return x.clamp(min=0) * keep.unsqueeze(-1), keep


t0 = time.time()
epochs = int(os.environ.get('EPOCHS', '30'))
for epoch in range(epochs):
    model.train()
    idx = torch.from_numpy(np.random.permutation(tr))
    for b in range(0, len(idx), 512):
        j = idx[b:b + 512]
        x, k = augment(Xt[j], Kt[j])
        p, _ = model(x, k)
        loss = nll(torch.log(p + 1e-9), Yt[j])
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
    with torch.no_grad():
        p, _ = model(Xt[va], Kt[va])
        acc = (p.argmax(1) == Yt[va]).float().mean().item()
    print(f'epoch {epoch} loss {loss.item():.3f} val acc {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)

model.eval()
with torch.no_grad():
    p, w = model(Xt[va], Kt[va])
    pred = p.argmax(1).numpy(); yv = Y[va]
    acc = float((pred == yv).mean())
    fg = yv > 0
    obj_acc = float(((pred > 0) == fg).mean())
    cls_acc = float((pred[fg & (pred > 0)] == yv[fg & (pred > 0)]).mean())
    masked_weight_max = float((w * (1 - Kt[va])).abs().max())
os.makedirs(out_dir, exist_ok=True)
onnx_path = os.path.join(out_dir, 'fusion-attention.onnx')
torch.onnx.export(model, (Xt[:2], Kt[:2]), onnx_path, input_names=['features', 'mask'], output_names=['probabilities', 'attention'],
                  dynamic_axes={'features': {0: 'batch'}, 'mask': {0: 'batch'}, 'probabilities': {0: 'batch'}, 'attention': {0: 'batch'}}, opset_version=17)
training = {'data': meta['seeds'], 'presets': meta['presets'], 'objects': n, 'validation_objects': int(nv), 'epochs': epochs, 'torch_seed': 0, 'numpy_seed': 0,
            'label_counts': counts.tolist(), 'validation': {'accuracy': acc, 'objectness_accuracy': obj_acc, 'class_accuracy_on_detected': cls_acc, 'max_weight_on_masked_modality': masked_weight_max},
            'train_seconds': time.time() - t0, 'torch': torch.__version__}
json.dump(training, open(os.path.join(out_dir, 'training.json'), 'w'), indent=1)
print(json.dumps(training['validation']))
