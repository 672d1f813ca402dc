// The experiment file's errors carry codes: a mistake in the file is InvalidArgument
// ("FILE: key.path: what is wrong"), a file that is not there NotFound; and its checkpoint
// section is read by the recipe's own reader, so the two refuse a value with the same words.
#include <gtest/gtest.h>

#include "common/recipe_config.h"
#include "common/storage.h"
#include "orchestrator/rundir/experiment.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

json minimal() {
  return json{{"run_dir", "run"}, {"data_dir", "data"}, {"datasets", {"FD001"}}, {"seeds", {1}}, {"preset", "tiny"}};
}

TEST(ExperimentCodes, AMistakeInTheFileIsAnInvalidArgumentNamingFileAndKey) {
  test::TempDir dir;
  json j = minimal();
  j["fault"] = {{"max_attempts", 0}};
  test::write_file(dir / "exp.json", j.dump());
  const auto e = load_experiment(*make_posix_storage(), dir / "exp.json");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsInvalidArgument()) << status_code_name(e.code());
  EXPECT_EQ(e.message(), "experiment file " + (dir / "exp.json") + ": fault.max_attempts: must be in 1..100, got 0");
}

TEST(ExperimentCodes, AMissingFileIsNotFound) {
  test::TempDir dir;
  const auto e = load_experiment(*make_posix_storage(), dir / "absent.json");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.IsNotFound()) << status_code_name(e.code()) << ": " << e.message();
  EXPECT_EQ(e.message().rfind("experiment file " + (dir / "absent.json") + ": ", 0), 0u) << e.message();
}

TEST(ExperimentCodes, TheCheckpointSectionHasTheRecipesBoundsAndWords) {
  test::TempDir dir;
  for (const json& keep_last : {json(0), json(1001), json(1.5)}) {
    json j = minimal();
    j["checkpoint"] = {{"keep_last", keep_last}};
    const auto e = parse_experiment(j, dir.path(), /*check_files=*/false);
    const auto r = RecipeConfig::from_json(json{{"checkpoint", {{"keep_last", keep_last}}}});
    ASSERT_FALSE(e.ok()) << keep_last;
    ASSERT_FALSE(r.ok()) << keep_last;
    EXPECT_EQ("recipe." + e.message(), r.message());
    EXPECT_TRUE(e.status().IsInvalidArgument());
  }
  json j = minimal();
  j["checkpoint"] = {{"keep_last", 1000}, {"every_epochs", 3}};
  const auto e = parse_experiment(j, dir.path(), /*check_files=*/false);
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->recipe["checkpoint"]["keep_last"], 1000);
  EXPECT_EQ(e->recipe["checkpoint"]["every_epochs"], 3);
}

}  // namespace
}  // namespace amnl::orch
