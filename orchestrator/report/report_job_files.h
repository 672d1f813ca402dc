#pragma once
// The files one job dir holds for the report (written by the trainer's finish): metrics.json,
// <dataset>_v7_seed<seed>_history.json and test_predictions.csv, named as the job dir's contract
// says (common/job_dir_files.h). Each reader fills a SeedResult and returns "" or a problem that
// names the file and what is wrong with it.
#include <string>

#include <nlohmann/json.hpp>

#include "common/storage.h"
#include "orchestrator/report/report_collect.h"

namespace amnl::orch {

// Takes the metrics of a metrics.json document (or a done record's "metrics") into `seed`.
// `source` names where they came from, for the problem message.
std::string take_metrics(const nlohmann::json& metrics, const std::string& source, SeedResult& seed);

// Reads the job dir's files into `seed`; missing optional files (history, predictions) are not
// problems for jobs that are not done. Returns whether metrics.json was read.
bool read_job_files(const Storage& storage, SeedResult& seed);

}  // namespace amnl::orch
