#pragma once
// Positional arguments of the benchmarks ("bench_x [A=default] [B=default]"): each one optional,
// read by position, with its default when absent.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace amnl::bench {

// True (after printing "usage: PROGRAM ARGS") when the first argument is --help.
inline bool asked_for_help(int argc, char** argv, const char* args) {
  if (argc < 2 || std::string(argv[1]) != "--help") return false;
  std::fprintf(stderr, "usage: %s %s\n", argv[0], args);
  return true;
}
inline std::string arg_or(int argc, char** argv, int i, const char* fallback) {
  return argc > i ? argv[i] : fallback;
}
// A count: at least 1 whatever was given.
inline int count_arg_or(int argc, char** argv, int i, int fallback) {
  return argc > i ? std::max(1, std::atoi(argv[i])) : fallback;
}

}  // namespace amnl::bench
