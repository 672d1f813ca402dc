#pragma once
// Files in the format of Python's torch.save: a zip archive holding <name>/data.pkl (a pickle,
// protocol 2) and one record <name>/data/<key> per tensor storage. libtorch writes it
// (torch::pickle_save), but libtorch 1.13's own reader (torch::pickle_load) cannot read what
// Python writes: it lacks the SETITEM opcode (every one-entry dict, such as a state_dict's
// _metadata) and BUILD on an OrderedDict. So reading goes through the small pickle machine here,
// which reads both Python's files and libtorch's. Internal to the worker: includes torch.
#include <string>

#include <torch/torch.h>

#include "common/status.h"

namespace amnl::worker {

// What torch.load(path) in Python returns: dicts (str or int keys), lists, tuples, str, int,
// float, bool, None and CPU tensors, as IValues (dicts are GenericDicts in file order).
std::string save_torch_pickle(const c10::IValue& value);
// `label` names the file in errors ("not a torch.save file", "unsupported object ...").
Result<c10::IValue> load_torch_pickle(const std::string& bytes, const std::string& label);

// True for a TorchScript archive (torch::serialize::OutputArchive, amnl's checkpoint and model
// format before the dicts: it holds constants.pkl), false for a torch.save file or anything else.
bool is_torchscript_archive(const std::string& bytes);

}  // namespace amnl::worker
