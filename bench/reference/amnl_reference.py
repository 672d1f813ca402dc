#!/usr/bin/python3
"""PyTorch reference of one amnl training step, for bench/train_vs_reference.sh only.

The same DualTaskModel (shared/spec/amnl.md, worker/model.cc), loss (worker/loss.cc), AdamW,
global-norm clipping and EMA (worker/ema.cc) as amnl's worker, written the way a PyTorch user
would, and timed on the windows bench_vs_reference exported from amnl's data pipeline. Python's
defaults are kept (AdamW's single-tensor path, which is torch 1.13's default on CPU). The loop
body mirrors Trainer::run: gather, step, three .item() reads of the loss parts.

  amnl_reference.py step DIR PRESET BATCH STEPS
  amnl_reference.py epoch DIR PRESET BATCH [N]
Each prints one "RESULT ..." line, in the format of bench_vs_reference. Always 1 thread.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "pytorch"))
from amnl_model import DualTaskModel  # noqa: E402  the one PyTorch definition of the model


def reference_model(m, features):
    """amnl's DualTaskModel as a PyTorch user has it (examples/pytorch/amnl_model.py), with the
    RUL output's bias at 0.5 as amnl initialises it for training (worker/model.cc)."""
    model = DualTaskModel(m, features)
    with torch.no_grad():
        model.rul_head[-2].bias.fill_(0.5)
    return model


class Ema:
    def __init__(self, model, decay):
        self.live = list(model.parameters()) + list(model.buffers())
        self.shadow = [t.detach().clone() for t in self.live]
        self.decay = decay

    @torch.no_grad()
    def update(self):
        for s, t in zip(self.shadow, self.live):
            if s.is_floating_point():
                s.mul_(self.decay).add_(t.detach(), alpha=1.0 - self.decay)
            else:
                s.copy_(t)


class Setup:
    def __init__(self, d, preset, batch):
        meta = json.load(open(d + "/meta.json"))
        n, rows, f, w = meta["windows"], meta["rows"], meta["features"], meta["window"]
        load = lambda name, dt, shape: torch.from_numpy(np.fromfile(d + "/" + name, dtype=dt).reshape(shape))
        self.features = load("features.f32", np.float32, (rows, f))
        self.rows = load("rows.i64", np.int64, (n, w))
        self.rul = load("rul.f32", np.float32, (n,))
        self.health = load("health.i64", np.int64, (n,))
        self.n = n
        self.cfg = meta["recipes"][preset]
        torch.manual_seed(1)
        self.model = reference_model(self.cfg["model"], f)
        o = self.cfg["optimizer"]
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                     eps=o["eps"], weight_decay=o["weight_decay"])
        self.ema = Ema(self.model, self.cfg["ema_decay"])
        self.model.train()
        loss = self.cfg["loss"]
        self.unit = self.cfg["data"]["r_max"] if loss["rul_scale"] == "cycles" else 1.0
        self.wr, self.wh = loss["rul_weight"], loss["health_weight"]

    def gather(self, ids):
        r = self.rows.index_select(0, ids)
        return self.features.index_select(0, r.reshape(-1)).view(r.size(0), r.size(1), self.features.size(1))

    def batch(self, ids):
        x, y, h = self.gather(ids), self.rul.index_select(0, ids), self.health.index_select(0, ids)
        self.opt.zero_grad()
        rul, logits = self.model(x)
        w = 1.0 + torch.clamp(1.0 - y, 0.0, 1.0)
        l_rul = (w * ((rul - y) * self.unit).pow(2)).mean()
        l_health = F.cross_entropy(logits, h)
        total = self.wr * l_rul + self.wh * l_health
        t = total.item()
        if not math.isfinite(t):
            raise SystemExit("non-finite loss")
        total.backward()
        float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg["grad_clip"]))
        self.opt.step()
        self.ema.update()
        return t * ids.size(0) + l_rul.item() + l_health.item()


def main():
    torch.set_num_threads(1)
    mode, d, preset, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = Setup(d, preset, batch)
    if mode == "step":
        steps, ms = int(sys.argv[5]), []
        for i in range(steps + 1):  # one warm-up step, as bench_vs_reference
            start = (i * batch) % (s.n - batch)
            ids = torch.arange(start, start + batch, dtype=torch.int64)
            t0 = time.perf_counter()
            s.batch(ids)
            if i >= 1:
                ms.append((time.perf_counter() - t0) * 1e3)
        ms.sort()
        print(f"RESULT step impl=reference preset={preset} batch={batch} median_ms={ms[len(ms) // 2]:.3f} "
              f"min_ms={ms[0]:.3f}")
    else:
        n = min(int(sys.argv[5]), s.n) if len(sys.argv) > 5 and int(sys.argv[5]) > 0 else s.n
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(7))
        s.batch(perm[:batch])  # warm-up, as bench_vs_reference
        t0 = time.perf_counter()
        total = 0.0
        for b in range(0, n, batch):
            total += s.batch(perm[b:b + batch])
        sec = time.perf_counter() - t0
        print(f"RESULT epoch impl=reference preset={preset} batch={batch} windows={n} seconds={sec:.3f} "
              f"samples_per_s={n / sec:.1f} check={total:.3g}")


if __name__ == "__main__":
    main()
