"""amnl's DualTaskModel in plain PyTorch, to use amnl's files without amnl.

Every amnl model and checkpoint file is the dict that torch.save writes, so

    import torch; from amnl_model import DualTaskModel
    ckpt = torch.load("FD001_v7_seed42.pt")
    model = DualTaskModel.from_config(ckpt["model_config"]); model.load_state_dict(ckpt["model_state_dict"])

gives the trained model (the EMA weights of the best epoch for a final model). The module layout
below is what the state_dict keys assume; it matches amnl's worker/model.cc layer for layer:

    conv         nn.Sequential: per channel count [Conv1d(k=3, pad=1), BatchNorm1d, ReLU, Dropout]
                 -> conv.0.weight, conv.1.running_mean, conv.4.weight, ...
    lstm         nn.LSTM(batch_first, bidirectional) -> lstm.weight_ih_l0, lstm.weight_ih_l0_reverse, ...
    attention    nn.MultiheadAttention (sequence first) -> attention.in_proj_weight, attention.out_proj.weight
    norm         nn.LayerNorm after the residual -> norm.weight, norm.bias
    funnel       nn.Sequential: [Linear, ReLU, Dropout] per width -> funnel.0.weight, funnel.3.weight, ...
    rul_head     nn.Sequential: [Linear, ReLU] per width, Linear(., 1), ReLU -> rul_head.0.weight, ...
    health_head  nn.Sequential: [Linear, ReLU] per width, Linear(., classes) -> health_head.0.weight, ...

The sizes come from ckpt["model_config"]["amnl_recipe"]["model"]. The model predicts RUL / R_max
(R_max: ckpt["scaler_params"]["r_max"]) and health-class logits. Its input is (batch, window,
features) rows normalised with the saved scaler params: normalise_rows() below.

Checkpoints (checkpoints/*.pt) hold the live training weights in model_state_dict, with
optimizer_state_dict (torch.optim.AdamW over model.parameters()) to continue training, and the EMA
weights, which amnl evaluates and selects, in ema_shadow. To hand a model back to amnl
(`amnl predict --model my.pth`), save the dict with your weights: save_for_amnl() below.
"""
import numpy as np
import torch
import torch.nn as nn


class DualTaskModel(nn.Module):
    def __init__(self, m, features):
        super().__init__()
        layers, c_in = [], features
        for ch in m["conv_channels"]:
            layers += [nn.Conv1d(c_in, ch, 3, padding=1), nn.BatchNorm1d(ch), nn.ReLU(), nn.Dropout(m["conv_dropout"])]
            c_in = ch
        self.conv = nn.Sequential(*layers)
        h = m["lstm_hidden"]
        self.lstm = nn.LSTM(c_in, h, num_layers=m["lstm_layers"], batch_first=True, bidirectional=True,
                            dropout=m["lstm_dropout"] if m["lstm_layers"] > 1 else 0.0)
        e = 2 * h
        self.attention = nn.MultiheadAttention(e, m["attention_heads"], dropout=m["attention_dropout"])
        self.norm = nn.LayerNorm(e)
        layers, c_in = [], e
        for w in m["funnel"]:
            layers += [nn.Linear(c_in, w), nn.ReLU(), nn.Dropout(m["funnel_dropout"])]
            c_in = w
        self.funnel = nn.Sequential(*layers)
        shared = c_in
        layers = []
        for w in m["rul_head"]:
            layers += [nn.Linear(c_in, w), nn.ReLU()]
            c_in = w
        self.rul_head = nn.Sequential(*layers, nn.Linear(c_in, 1), nn.ReLU())
        layers, c_in = [], shared
        for w in m["health_head"]:
            layers += [nn.Linear(c_in, w), nn.ReLU()]
            c_in = w
        self.health_head = nn.Sequential(*layers, nn.Linear(c_in, m["classes"]))

    @staticmethod
    def from_config(model_config):
        return DualTaskModel(model_config["amnl_recipe"]["model"], model_config["input_size"])

    def forward(self, x):
        """x: (batch, window, features) -> (RUL / R_max of shape (batch), logits (batch, classes))."""
        h = self.conv(x.transpose(1, 2))
        h = self.lstm(h.transpose(1, 2))[0]
        t = h.transpose(0, 1)  # (window, batch, 2 * hidden): the attention is sequence-first
        attended = self.attention(t, t, t, need_weights=False)[0]
        t = self.norm(t + attended)
        shared = self.funnel(t[-1])  # the last time step
        return self.rul_head(shared).squeeze(-1), self.health_head(shared)


def read_cmapss(path):
    """A C-MAPSS file: (unit ids per row, raw values per row: op1..op3, s1..s21 as float32)."""
    data = np.loadtxt(path, ndmin=2)
    return data[:, 0].astype(np.int64), data[:, 2:26].astype(np.float32)


def normalise_rows(raw, scaler):
    """amnl's normalisation: the scaler's feature columns, z-scored globally or per operating
    condition (the nearest k-means centroid of the three settings)."""
    raw64 = raw.astype(np.float64)
    cond = np.zeros(len(raw), dtype=np.int64)
    if scaler["per_condition"] and len(scaler["centroids"]) > 1:
        c = np.array(scaler["centroids"], dtype=np.float64)
        z = (raw64[:, None, :3] - c[None, :, :]) / np.array(scaler["condition_scale"])[None, None, :]
        cond = np.argmin((z * z).sum(-1), axis=1)  # ties go to the lower index, as in amnl
    cols = np.array(scaler["feature_columns"])
    mean = np.array(scaler["mean"], dtype=np.float64)[cond]
    std = np.array(scaler["stddev"], dtype=np.float64)[cond]
    return ((raw64[:, cols] - mean) / std).astype(np.float32)


def last_windows(units, rows, window):
    """The last `window` rows of each unit, in file order; a shorter unit repeats its first row."""
    out, ids, start = [], [], 0
    for i in range(1, len(units) + 1):
        if i == len(units) or units[i] != units[start]:
            idx = np.maximum(np.arange(i - window, i), start)
            out.append(rows[idx])
            ids.append(int(units[start]))
            start = i
    return ids, torch.from_numpy(np.stack(out))


def save_for_amnl(ckpt, model, path):
    """Saves `model`'s weights in the final-model dict `ckpt` (as torch.load returned it), for
    `amnl predict --model path`. Drops an amnl checkpoint's resume section: the weights are yours."""
    out = {k: v for k, v in ckpt.items() if k not in ("amnl", "ema_shadow", "optimizer_state_dict",
                                                        "scheduler_state_dict")}
    out["model_state_dict"] = model.state_dict()
    torch.save(out, path)
