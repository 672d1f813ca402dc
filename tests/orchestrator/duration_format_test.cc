// The one duration form (rundir/utc_time.h format_duration) and the status page's script, which
// must print durations the same way (status_page.cc, dur): run in node where it is installed.
#include <gtest/gtest.h>

#include <cmath>

#include "orchestrator/rundir/utc_time.h"
#include "orchestrator/status/status_page.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

TEST(DurationFormat, HoursMinutesSecondsRoundedAndADashWhenUnknown) {
  EXPECT_EQ(format_duration(0), "0:00:00");
  EXPECT_EQ(format_duration(7.4), "0:00:07");
  EXPECT_EQ(format_duration(59.5), "0:01:00");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(100000), "27:46:40");
  EXPECT_EQ(format_duration(-1), "-");
  EXPECT_EQ(format_duration(NAN), "-");
  EXPECT_EQ(format_duration(INFINITY), "-");
}

TEST(DurationFormat, TheStatusPagePrintsTheSameAsTheCli) {
  if (test::run_command({"sh", "-c", "command -v node"}).exit_code != 0)
    GTEST_SKIP() << "node is not installed: the page's script was not run";
  const std::string page = status_page_html(nlohmann::json::object());
  const size_t from = page.find("function dur(");
  const size_t to = page.find("\nfunction ", from + 1);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  const std::vector<double> values = {0, 7.4, 59.5, 3723, 100000, -1};
  std::string expected, args;
  for (double v : values) {
    expected += format_duration(v) + "|";
    args += (args.empty() ? "" : ",") + std::to_string(v);
  }
  expected += format_duration(NAN) + "|\n";  // unknown: null in the JSON document
  const auto r = test::run_command(
      {"node", "-e", page.substr(from, to - from) + "\nconsole.log([" + args + ",null].map(dur).join('|')+'|');"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, expected);
}

}  // namespace
}  // namespace amnl::orch
