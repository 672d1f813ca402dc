#!/usr/bin/python3
"""The Python half of pytorch_interop_test.cc: opens a trained amnl job's files with plain
torch.load as a PyTorch user would, checks the recipe's keys and that strict loading into
examples/pytorch/amnl_model.py leaves no missing or unexpected key, continues training from a
checkpoint, and writes dicts for the reverse direction (amnl reading what Python saved).

    pytorch_interop_check.py JOB_DIR MODEL_NAME OUT_DIR
Prints "OK" last; any failure raises (non-zero exit) with what was wrong.
"""
import glob
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "../../examples/pytorch"))
from amnl_model import DualTaskModel, save_for_amnl  # noqa: E402

FINAL_KEYS = {"model_state_dict", "optimizer_state_dict", "dataset", "final_metrics", "training_history",
              "best_epoch", "model_config", "scaler_params"}
CHECKPOINT_KEYS = {"model_state_dict", "optimizer_state_dict", "scheduler_state_dict", "ema_shadow", "dataset",
                   "epoch", "best_epoch", "best_rmse", "final_metrics", "training_history", "model_config",
                   "scaler_params"}
CONFIG_KEYS = {"version", "input_size", "sequence_length", "hidden_size", "epochs_trained", "batch_size",
               "learning_rate", "random_seed", "amnl_config"}


def strict_load(model, state_dict, what):
    r = model.load_state_dict(state_dict, strict=False)
    assert not r.missing_keys and not r.unexpected_keys, f"{what}: missing {r.missing_keys} unexpected {r.unexpected_keys}"
    print(f"{what}: strict load: 0 missing, 0 unexpected keys ({len(state_dict)} tensors)")


def check_common(d, keys, what):
    assert type(d) is dict, f"{what}: torch.load returned {type(d)}, not a dict"
    assert keys <= set(d), f"{what}: lacks {sorted(keys - set(d))}"
    assert CONFIG_KEYS <= set(d["model_config"]), f"{what}: model_config lacks {sorted(CONFIG_KEYS - set(d['model_config']))}"
    assert d["model_config"]["version"] == "V7"
    s = d["scaler_params"]
    assert isinstance(s, dict) and isinstance(s["mean"], list) and isinstance(s["mean"][0], list), f"{what}: scaler_params"
    h = d["training_history"]
    assert isinstance(h, dict) and isinstance(h["loss"], list) and len(h["loss"]) == len(h["epoch"]), f"{what}: history"


def continue_training(ck, what):
    model = DualTaskModel.from_config(ck["model_config"])
    strict_load(model, ck["model_state_dict"], what + " model_state_dict")
    strict_load(DualTaskModel.from_config(ck["model_config"]), ck["ema_shadow"], what + " ema_shadow")
    opt = torch.optim.AdamW(model.parameters())
    opt.load_state_dict(ck["optimizer_state_dict"])
    for i, p in enumerate(model.parameters()):
        assert opt.state[p]["exp_avg"].shape == p.shape, f"{what}: optimizer state {i} does not match parameter {i}"
    x = torch.randn(4, ck["model_config"]["sequence_length"], ck["model_config"]["input_size"])
    rul, logits = model(x)
    (rul.square().mean() + logits.square().mean()).backward()
    opt.step()
    print(f"{what}: one more AdamW step from optimizer_state_dict (step {int(opt.state[p]['step'])})")


def main(job, model_name, out):
    final = torch.load(os.path.join(job, model_name))
    check_common(final, FINAL_KEYS, model_name)
    model = DualTaskModel.from_config(final["model_config"])
    strict_load(model, final["model_state_dict"], model_name)
    checkpoints = sorted(glob.glob(os.path.join(job, "checkpoints", "*.pt")))
    assert any("best_epoch_" in c for c in checkpoints), f"no best_epoch_N.pt among {checkpoints}"
    for path in checkpoints:
        ck = torch.load(path)
        check_common(ck, CHECKPOINT_KEYS, os.path.basename(path))
        continue_training(ck, os.path.basename(path))

    # The reverse direction: a model fine-tuned in Python, saved for amnl.
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    x = torch.randn(8, final["model_config"]["sequence_length"], final["model_config"]["input_size"])
    for _ in range(3):
        opt.zero_grad()
        rul, _ = model(x)
        (rul - 0.2).square().mean().backward()
        opt.step()
    model.eval()
    save_for_amnl(final, model, os.path.join(out, "finetuned.pth"))
    broken = torch.load(os.path.join(out, "finetuned.pth"))
    del broken["model_state_dict"]["lstm.weight_hh_l0"]
    torch.save(broken, os.path.join(out, "missing_key.pth"))
    broken = torch.load(os.path.join(out, "finetuned.pth"))
    broken["model_state_dict"]["norm.weight"] = torch.ones(3)
    torch.save(broken, os.path.join(out, "misshaped_key.pth"))
    print("OK")


if __name__ == "__main__":
    main(*sys.argv[1:4])
