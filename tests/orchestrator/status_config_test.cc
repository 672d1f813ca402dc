// The experiment file's "status" section: validated with the key path in errors, and not part of
// the run's identity (turning the status server on for a rerun is not another experiment).
#include <gtest/gtest.h>

#include "orchestrator/rundir/experiment.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

Result<Experiment> parse_with(const json& status) {
  json j{{"run_dir", "/tmp/r"}, {"data_dir", "/tmp/d"}, {"datasets", {"A"}}, {"seeds", {1}}, {"preset", "tiny"}};
  if (!status.is_null()) j["status"] = status;
  return parse_experiment(j, "/tmp", /*check_files=*/false);
}

TEST(StatusConfig, OffByDefaultOnLocalhost) {
  auto e = parse_with(nullptr);
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->status.port, 0);
  EXPECT_EQ(e->status.address, "127.0.0.1");
}

TEST(StatusConfig, PortAndAddressAreRead) {
  auto e = parse_with({{"port", 8080}, {"address", "0.0.0.0"}});
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->status.port, 8080);
  EXPECT_EQ(e->status.address, "0.0.0.0");
  auto any = parse_with({{"port", -1}});
  ASSERT_TRUE(any.ok()) << any.message();
  EXPECT_EQ(any->status.port, -1);
  EXPECT_EQ(any->to_json()["status"]["port"], -1);
}

TEST(StatusConfig, BadValuesNameTheKey) {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"port", 70000}}, "status.port: must be"},
      {{{"port", -2}}, "status.port: must be"},
      {{{"port", "80"}}, "status.port: must be an integer"},
      {{{"address", "localhost"}}, "status.address: must be an IP address"},
      {{{"address", 7}}, "status.address: must be an IP address"},
      {{{"bind", "x"}}, "status.bind: unknown key"},
      {json(8080), "status: must be an object"}};
  for (const auto& [status, want] : cases) {
    auto e = parse_with(status);
    ASSERT_FALSE(e.ok()) << status.dump();
    EXPECT_NE(e.message().find(want), std::string::npos) << status.dump() << " -> " << e.message();
  }
}

TEST(StatusConfig, NotPartOfTheRunsIdentity) {
  auto off = parse_with(nullptr);
  auto on = parse_with({{"port", 9100}, {"address", "0.0.0.0"}});
  ASSERT_TRUE(off.ok() && on.ok());
  EXPECT_EQ(off->identity(), on->identity());
}

}  // namespace
}  // namespace amnl::orch
