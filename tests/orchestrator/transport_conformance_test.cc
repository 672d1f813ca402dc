// The Transport conformance suite (transport_conformance.h) against the in-process
// LoopbackNetwork, one thread per rank. tests/transport_mpi runs the same cases against
// MpiTransport under real mpirun.
#include "transport_conformance.h"

#include <thread>

#include "orchestrator/protocol/loopback_transport.h"

namespace amnl::orch {
namespace {

class LoopbackConformance : public ::testing::TestWithParam<size_t> {};

TEST_P(LoopbackConformance, EveryRankPassesTheCase) {
  const auto& [name, run_case] = conformance::cases().at(GetParam());
  SCOPED_TRACE(name);
  constexpr int kRanks = 4;
  auto net = LoopbackNetwork::create(kRanks);
  std::vector<std::unique_ptr<Transport>> endpoints;
  for (int r = 0; r < kRanks; ++r) endpoints.push_back(net->endpoint(r));
  std::vector<std::thread> ranks;
  for (int r = 0; r < kRanks; ++r) ranks.emplace_back([&, r] { run_case(*endpoints[static_cast<size_t>(r)]); });
  for (auto& t : ranks) t.join();
}

INSTANTIATE_TEST_SUITE_P(Cases, LoopbackConformance,
                         ::testing::Range<size_t>(0, conformance::cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(conformance::cases().at(info.param).first);
                         });

TEST(LoopbackNetwork, RefusesRanksOutsideTheNetwork) {
  auto net = LoopbackNetwork::create(2);
  EXPECT_THROW(net->endpoint(2), std::invalid_argument);
  EXPECT_THROW(LoopbackNetwork::create(0), std::invalid_argument);
}

}  // namespace
}  // namespace amnl::orch
