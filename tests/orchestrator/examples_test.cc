// The shipped example experiments stay valid as the recipe evolves.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "orchestrator/rundir/experiment.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

nlohmann::json load(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str(), nullptr, false);
}

TEST(ExamplesTest, ExampleExperimentsAreValid) {
  for (const char* name : {"demo.json", "cmapss-paper.json", "cmapss-quick.json"}) {
    const std::string dir = test::source_dir() + "/examples";
    const auto j = load(dir + "/" + name);
    ASSERT_TRUE(j.is_object()) << name;
    auto e = parse_experiment(j, dir, /*check_files=*/false);  // data may not be generated yet
    ASSERT_TRUE(e.ok()) << name << ": " << e.message();
    EXPECT_EQ(e->seeds.size(), std::string(name) == "demo.json" ? 3u : 5u);
  }
  auto paper = parse_experiment(load(test::source_dir() + "/examples/cmapss-paper.json"),
                                test::source_dir() + "/examples", false);
  ASSERT_TRUE(paper.ok());
  EXPECT_EQ(paper->recipe["data"]["selection"], "test");
  EXPECT_EQ(paper->recipe["max_epochs"], 500);
  // The accuracy benchmark's experiment: the four real data sets, leak-free selection.
  auto quick = parse_experiment(load(test::source_dir() + "/examples/cmapss-quick.json"),
                                test::source_dir() + "/examples", false);
  ASSERT_TRUE(quick.ok()) << quick.message();
  EXPECT_EQ(quick->datasets.size(), 4u);
  EXPECT_EQ(quick->recipe["data"]["selection"], "validation");
}

}  // namespace
}  // namespace amnl::orch
