// The report's PNG plots (gnuplot) and its HTML page in a real browser (headless Chromium).
// Both tools are optional on a developer machine: absent, the tests skip and say why.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/storage.h"
#include "orchestrator/report/report.h"
#include "orchestrator/report/report_collect.h"
#include "orchestrator/report/report_plots.h"
#include "report_fixture.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
using test::read_file;
using test::ReportRunDir;

bool on_path(const std::string& program) {
  return test::run_command({"sh", "-c", "command -v " + program}).exit_code == 0;
}

class ReportPlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.experiment({"FD001", "SYN"}, {1, 2, 3});
    r.data_files("FD001");
    for (int s = 1; s <= 3; ++s) r.done_job("FD001", s, 10.0 + s);
    r.done_job("SYN", 1, 14.0);
    r.done_job("SYN", 2, 15.5);
    r.record({{"event", "assigned"}, {"job", "SYN-s3"}, {"attempt", 1}, {"rank", 1}});
  }
  ReportRunDir r;
  std::shared_ptr<Storage> storage = make_posix_storage();
};

TEST_F(ReportPlotsTest, PngsAreValidImagesOfAReadableSize) {
  if (!on_path("gnuplot")) GTEST_SKIP() << "gnuplot is not installed (apt-get install gnuplot-nox): plots untested";
  auto s = write_report(*storage, r.run_dir, r.run_dir + "/results", {"gnuplot", ""});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(s->plots);
  for (const char* name : {"learning_curves.png", "seed_rmse.png", "predictions.png"}) {
    SCOPED_TRACE(name);
    const std::string png = read_file(r.run_dir + "/results/plots/" + name);
    ASSERT_GE(png.size(), 8u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_EQ(png.substr(12, 4), "IHDR");
    int w = 0, h = 0;
    ASSERT_TRUE(png_dimensions(png, &w, &h));
    EXPECT_GE(w, 600);
    EXPECT_LE(w, 4000);
    EXPECT_GE(h, 400);
    EXPECT_LE(h, 4000);
    EXPECT_GT(png.size(), 10000u);  // drawn content, not an empty canvas
  }
  const json results = json::parse(read_file(r.run_dir + "/results/results.json"));
  EXPECT_TRUE(results["plots"]["rendered"]);
  EXPECT_EQ(results["plots"]["files"].size(), 3u);
  const std::string html = read_file(r.run_dir + "/results/report.html");
  EXPECT_NE(html.find("<img alt=\"Learning curves"), std::string::npos);
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // embedded PNG
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);  // no external assets
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("<table id=\"per-dataset\">"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">FD001</td><td>3 / 3</td><td>12.000</td>"), std::string::npos);
  // The scratch dir of gnuplot is gone.
  auto files = storage->list_files(r.run_dir + "/results");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(test::run_command({"sh", "-c", "ls -a " + r.run_dir + "/results | grep -c plots-work"}).output, "0\n");
}

// A scratch file gnuplot would read cannot be written (here: a directory is in its way): no
// plot is drawn from a missing or truncated file, and the reason names the file. (The write's
// result used to be ignored.)
TEST_F(ReportPlotsTest, AScratchFileThatCannotBeWrittenIsReportedNotPlotted) {
  auto run = collect_run_results(*storage, r.run_dir, /*with_baseline=*/false);
  ASSERT_TRUE(run.ok()) << run.message();
  const std::string work = r.dir / "plots-work";
  test::run_command({"mkdir", "-p", work + "/lc_0.dat"});
  const PlotSet set = render_plots(*run, "gnuplot", work);
  EXPECT_FALSE(set.rendered);
  EXPECT_TRUE(set.images.empty());
  EXPECT_NE(set.why_not.find("cannot write " + work + "/lc_0.dat"), std::string::npos) << set.why_not;
}

TEST_F(ReportPlotsTest, ABrowserRendersTheSelfContainedPage) {
  if (!on_path("chromium")) GTEST_SKIP() << "chromium is not installed: the browser test did not run";
  if (!on_path("gnuplot")) GTEST_SKIP() << "gnuplot is not installed: the page would have no plots";
  auto s = write_report(*storage, r.run_dir, r.run_dir + "/results", {"gnuplot", ""});
  ASSERT_TRUE(s.ok()) << s.message();
  const std::string page = "file://" + r.run_dir + "/results/report.html";
  const std::vector<std::string> chromium = {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                             "--user-data-dir=" + (r.dir / "chrome-profile")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = chromium;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_command(argv);
  };
  // The DOM holds the tables' text (the page is built by the browser from the one file).
  const auto dom = with({"--dump-dom", page});
  ASSERT_EQ(dom.exit_code, 0) << dom.output;
  EXPECT_NE(dom.output.find("Per dataset: test last-cycle RMSE over seeds"), std::string::npos);
  EXPECT_NE(dom.output.find("FD001-s2"), std::string::npos);
  EXPECT_NE(dom.output.find("12.000"), std::string::npos);
  EXPECT_NE(dom.output.find("attempt 1 on rank 1, no epoch finished yet"), std::string::npos);
  EXPECT_NE(dom.output.find("data:image/png;base64,"), std::string::npos);

  // Non-blank: the page's screenshot carries far more drawn content than a blank page's.
  const std::string shot = r.dir / "report.png", blank_shot = r.dir / "blank.png";
  test::write_file(r.dir / "blank.html", "<!DOCTYPE html><html><body></body></html>");
  const auto a = with({"--window-size=1400,1800", "--screenshot=" + shot, page});
  const auto b = with({"--window-size=1400,1800", "--screenshot=" + blank_shot, "file://" + (r.dir / "blank.html")});
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const std::string report_png = read_file(shot), blank_png = read_file(blank_shot);
  int w = 0, h = 0;
  ASSERT_TRUE(png_dimensions(report_png, &w, &h));
  EXPECT_EQ(w, 1400);
  EXPECT_GT(report_png.size(), 8 * blank_png.size()) << report_png.size() << " vs blank " << blank_png.size();
}

}  // namespace
}  // namespace amnl::orch
