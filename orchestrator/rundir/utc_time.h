#pragma once
// Timestamps of the run dir (ledger records, outcome, lease, notes): UTC, ISO 8601 with
// milliseconds, "2024-05-01T12:00:00.123Z". One writer and one reader, so every file and view
// agrees on the form. And durations as people read them, in one form for every view.
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

// A duration as `amnl status`, the live status page and the coordinator's summary line print
// it: hours:minutes:seconds rounded to the second, "1:02:03", "0:00:07", "27:46:40"; "-" when
// unknown (NaN, infinite or negative). The status page's script (status_page.cc, dur) prints the
// same form.
std::string format_duration(double seconds);

}  // namespace amnl::orch
