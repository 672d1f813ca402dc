# The independent C-MAPSS pipeline of fd001_baselines.py and fd001_ablation.py, written from the
# raw files without amnl's code so that it can check amnl's: the recipe's 17 features (or the 14
# sensors), normalisation fitted on the training units, windows of W cycles (a shorter unit is
# left-padded with its first row), RUL capped at 125, 20% of the training units held out by seed,
# and the last window of each test unit against RUL_<set>.txt.
import os
import numpy as np
import torch

R_MAX = 125.0
DROPPED_SENSORS = {1, 5, 6, 10, 16, 18, 19}


def data_dir():
    return os.environ.get('DATA_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../shared/cmapss'))


# drawn_order: the training units in the order of the seeded draw rather than sorted (the windows
# are shuffled every epoch anyway; fd001_ablation.py's figures were made with this order).
def load_split(dataset, seed, window, norm='z', with_settings=True, drawn_order=False):
    d = data_dir()
    train = np.loadtxt(f'{d}/train_{dataset}.txt')
    test = np.loadtxt(f'{d}/test_{dataset}.txt')
    rul = np.loadtxt(f'{d}/RUL_{dataset}.txt')
    cols = ([2, 3, 4] if with_settings else []) + [4 + i for i in range(1, 22) if i not in DROPPED_SENSORS]
    units = np.unique(train[:, 0])
    np.random.default_rng(seed).shuffle(units)
    held_out = set(units[:int(round(0.2 * len(units)))])
    fit_rows = np.array([u not in held_out for u in train[:, 0]])
    scale = _scaler(train[fit_rows][:, cols], norm)

    def windows(data, unit_ids, last_only=False, rul_at_end=None):
        xs, ys = [], []
        for k, u in enumerate(unit_ids):
            rows = data[data[:, 0] == u]
            x = scale(rows[:, cols]).astype(np.float32)
            n = len(rows)
            end = rul_at_end[k] if rul_at_end is not None else 0
            y = np.minimum(end + (n - 1 - np.arange(n)), R_MAX).astype(np.float32)
            if n < window:
                x = np.vstack([np.repeat(x[:1], window - n, 0), x])
                y = np.concatenate([np.repeat(y[:1], window - n), y])
            if last_only:
                xs.append(x[-window:])
                ys.append(y[-1])
                continue
            for e in range(window, len(x) + 1):
                xs.append(x[e - window:e])
                ys.append(y[e - 1])
        return torch.tensor(np.array(xs)), torch.tensor(np.array(ys))

    train_units = [u for u in (units if drawn_order else np.unique(train[:, 0])) if u not in held_out]
    val_units = sorted(held_out)
    return {
        'train': windows(train, train_units),
        'val': windows(train, val_units),
        'val_last': windows(train, val_units, last_only=True),
        'test': windows(test, np.unique(test[:, 0]), last_only=True, rul_at_end=rul),
    }


def _scaler(x, norm):
    if norm == 'z':
        mu, sd = x.mean(0), x.std(0)
        sd[sd < 1e-8] = 1
        return lambda a: (a - mu) / sd
    lo, hi = x.min(0), x.max(0)
    span = np.where(hi - lo < 1e-8, 1, hi - lo)
    return lambda a: 2 * (a - lo) / span - 1
