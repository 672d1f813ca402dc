#pragma once
// `amnl export FILE --to OUT.pth`: any amnl checkpoint or final model, of this version or an
// earlier one (TorchScript archive), as the dict a PyTorch user opens with torch.load
// (checkpoint_dict.h). No torch in this header (the CLI uses it).
#include <string>

#include "common/status.h"

namespace CLI { class App; }

namespace amnl::worker {

// Writes `out` (atomically); `note` receives what was converted ("training checkpoint (earlier
// amnl format)", ...). Errors name the file and the problem.
Status export_to_pytorch_dict(const std::string& in, const std::string& out, std::string* note);

}  // namespace amnl::worker

namespace amnl {
void add_export_command(CLI::App& app, int& exit_code);
}  // namespace amnl
