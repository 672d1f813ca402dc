#pragma once
// GET /: one self-contained HTML page (inline CSS and JS, no external assets, so it works on a
// cluster node without internet) that shows the status table with a progress bar per job and
// refreshes itself from /status.json every two seconds. The document current when the page was
// served is embedded, so the table shows at once (and without JavaScript timing).
#include <string>

#include <nlohmann/json.hpp>

namespace amnl::orch {

std::string status_page_html(const nlohmann::json& status);

}  // namespace amnl::orch
