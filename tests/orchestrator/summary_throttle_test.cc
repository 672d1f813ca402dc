#include <gtest/gtest.h>

#include "orchestrator/policy/summary_throttle.h"

namespace amnl::orch {
namespace {

Counts counts(int done, int running, int queued) {
  Counts c;
  c.done = done;
  c.running = running;
  c.queued = queued;
  c.live_workers = 2;
  return c;
}

TEST(SummaryThrottle, PrintsTheFirstSummaryAndEveryChangeAtOnce) {
  SummaryThrottle t(300);
  EXPECT_TRUE(t.should_print(counts(0, 2, 10), 10));
  EXPECT_TRUE(t.should_print(counts(1, 2, 9), 20));  // a job finished: shown at the next tick
  Counts lost = counts(1, 2, 9);
  lost.dead_workers = 1;
  EXPECT_TRUE(t.should_print(lost, 30));  // a worker lost is a change too
}

TEST(SummaryThrottle, AnUnchangedSummaryIsPrintedOnlyEveryQuietInterval) {
  SummaryThrottle t(300);
  ASSERT_TRUE(t.should_print(counts(0, 2, 10), 0));
  int printed = 0;
  for (double now = 10; now <= 3600; now += 10) printed += t.should_print(counts(0, 2, 10), now);
  EXPECT_EQ(printed, 12);  // one an hour every 300 s, not 360
  EXPECT_FALSE(t.should_print(counts(0, 2, 10), 3610));
  EXPECT_TRUE(t.should_print(counts(0, 2, 10), 3900));
}

}  // namespace
}  // namespace amnl::orch
