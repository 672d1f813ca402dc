#pragma once
// Timestamps of the run dir (ledger records, outcome, lease, notes): UTC, ISO 8601 with
// milliseconds, "2024-05-01T12:00:00.123Z". One writer and one reader, so every file and view
// agrees on the form.
#include <string>

namespace amnl::orch {

// Seconds since the Unix epoch of such a timestamp; NaN when the string is not in that form.
double parse_utc_iso(const std::string& s);
// The inverse (milliseconds kept); "" for a non-finite time.
std::string format_utc_iso(double unix_seconds);
// The wall clock now, in that form.
std::string utc_now_iso();
// The wall clock now, in Unix seconds.
double unix_now();

}  // namespace amnl::orch
