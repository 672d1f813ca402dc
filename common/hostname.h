#pragma once
// This machine's host name, as ranks, leases, locks and status documents record it (one source,
// so "same host" comparisons between them hold).
#include <string>

namespace amnl {

std::string hostname();

}  // namespace amnl
