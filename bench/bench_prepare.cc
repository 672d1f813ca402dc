// Times the C-MAPSS preparation of one dataset (default FD004, the largest): parsing, then
// clustering + normalisation + windows, then the whole prepare_dataset, as medians of several
// runs. Usage: bench_prepare [DATA_DIR=../shared/cmapss] [DATASET=FD004] [REPEATS=7]. Never run by ctest.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "common/cmapss/dataset.h"

namespace {

using amnl::bench::Clock;
using amnl::bench::median;
using amnl::bench::ms_since;

}  // namespace

int main(int argc, char** argv) {
  using namespace amnl::bench;
  if (asked_for_help(argc, argv, "[DATA_DIR=../shared/cmapss] [DATASET=FD004] [REPEATS=7]")) return 2;
  const std::string dir = arg_or(argc, argv, 1, "../shared/cmapss");
  const std::string dataset = arg_or(argc, argv, 2, "FD004");
  const int repeats = count_arg_or(argc, argv, 3, 7);
  amnl::data::DataOptions options;
  options.split_seed = 42;

  std::vector<double> parse_ms, total_ms;
  amnl::data::PreparedData last;
  for (int i = 0; i < repeats; ++i) {
    auto start = Clock::now();
    auto train = amnl::data::read_cmapss_table(dir + "/train_" + dataset + ".txt");
    auto test = amnl::data::read_cmapss_table(dir + "/test_" + dataset + ".txt");
    if (!train.ok() || !test.ok()) {
      std::fprintf(stderr, "bench_prepare: %s\n", (!train.ok() ? train : test).message().c_str());
      return 1;
    }
    auto rul = amnl::data::read_rul_file(dir + "/RUL_" + dataset + ".txt", test->num_units());
    if (!rul.ok()) {
      std::fprintf(stderr, "bench_prepare: %s\n", rul.message().c_str());
      return 1;
    }
    parse_ms.push_back(ms_since(start));

    start = Clock::now();
    auto prepared = amnl::data::prepare_dataset(dir, dataset, options);
    total_ms.push_back(ms_since(start));
    if (!prepared.ok()) {
      std::fprintf(stderr, "bench_prepare: %s\n", prepared.message().c_str());
      return 1;
    }
    last = std::move(*prepared);
  }
  // Baseline of the same run: reading the three files' bytes alone (the I/O and page-cache floor).
  std::vector<double> read_ms;
  size_t text_bytes = 0;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    text_bytes = 0;
    for (const char* kind : {"train_", "test_", "RUL_"}) {
      std::ifstream in(dir + "/" + kind + dataset + ".txt", std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      text_bytes += ss.str().size();
    }
    read_ms.push_back(ms_since(start));
  }
  const double parse = median(parse_ms), total = median(total_ms);
  std::printf("%s, %d runs (medians): parse %.1f ms, cluster+normalise+window %.1f ms, total prepare %.1f ms\n",
              dataset.c_str(), repeats, parse, total - parse, total);
  std::printf("rows train/test %zu/%zu, units %d/%d, %s normalisation, %d conditions\n", last.train_file_rows,
              last.test_file_rows, last.train_file_units, last.test_file_units,
              last.scaler.per_condition ? "per_condition" : "global", last.scaler.num_conditions());
  std::printf("windows train/val/test %zu/%zu/%zu\n", last.train.size(), last.val.size(), last.test.size());
  // Peak resident memory of the whole process (text, parsed table, windows; one dataset held at a
  // time plus `last`), against the prepared arrays a job keeps (features + per-window vectors).
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  size_t kept = 0;
  for (const auto* w : {&last.train, &last.val, &last.test})
    kept += w->features.size() * sizeof(float) + w->size() * (3 * sizeof(int64_t) + sizeof(float) + sizeof(int));
  std::printf("RESULT prepare dataset=%s prepare_ms=%.1f read_bytes_ms=%.1f ratio_to_read=%.1f text_mb=%.1f "
              "maxrss_mb=%.1f prepared_mb=%.1f maxrss_over_prepared=%.1f\n",
              dataset.c_str(), total, median(read_ms), total / median(read_ms), text_bytes / 1e6, ru.ru_maxrss / 1024.0,
              kept / 1e6, ru.ru_maxrss * 1024.0 / kept);
  return 0;
}
