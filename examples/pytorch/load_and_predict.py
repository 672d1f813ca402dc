#!/usr/bin/python3
"""Per-unit RUL of a C-MAPSS test file with an amnl final model, in plain PyTorch:

    load_and_predict.py MODEL TEST_FILE

MODEL: <DATASET>_v7_seed<SEED>.pt (or a dict saved by amnl_model.save_for_amnl). Prints one
"unit rul" line per unit (RUL in cycles), as `amnl predict --model MODEL --data TEST_FILE` does.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from amnl_model import DualTaskModel, last_windows, normalise_rows, read_cmapss  # noqa: E402


def main(model_path, test_path):
    ckpt = torch.load(model_path)
    model = DualTaskModel.from_config(ckpt["model_config"])
    model.load_state_dict(ckpt["model_state_dict"], strict=True)
    model.eval()
    scaler = ckpt["scaler_params"]
    units, raw = read_cmapss(test_path)
    ids, x = last_windows(units, normalise_rows(raw, scaler), scaler["window"])
    with torch.no_grad():
        rul = model(x)[0].double() * scaler["r_max"]
    for unit, r in zip(ids, rul.tolist()):
        print(f"{unit} {r:.6f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
