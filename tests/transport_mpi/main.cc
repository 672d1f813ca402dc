// The Transport conformance suite (tests/orchestrator/transport_conformance.h) against
// MpiTransport: every rank of a real mpirun runs every case with its own endpoint. ctest runs it
// as `mpirun -np 3` (tests/CMakeLists.txt); the job passes when every rank's cases pass.
#include <mpi.h>

#include "orchestrator/mpi/mpi_transport.h"
#include "orchestrator/transport_conformance.h"

namespace amnl::orch {
namespace {

class MpiConformance : public ::testing::TestWithParam<size_t> {};

TEST_P(MpiConformance, EveryRankPassesTheCase) {
  MpiTransport transport;
  ASSERT_GE(transport.size(), 2) << "run under mpirun with at least 2 ranks";
  conformance::cases().at(GetParam()).second(transport);
}

INSTANTIATE_TEST_SUITE_P(Cases, MpiConformance, ::testing::Range<size_t>(0, conformance::cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(conformance::cases().at(info.param).first);
                         });

}  // namespace
}  // namespace amnl::orch

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // Only rank 0 prints the listing; every rank's failures are printed (and fail the job).
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (failed) std::fprintf(stderr, "rank %d: conformance cases failed\n", rank);
  MPI_Finalize();
  return any_failed ? 1 : 0;
}
