#pragma once
// Precompiled once for the worker library and its tests: torch's headers dominate build time.
#include <torch/torch.h>
