#include "log_throttle.hpp"

#include <gtest/gtest.h>

namespace superd {
namespace {

using namespace std::chrono_literals;
using Action = LogThrottle::Action;

TEST(LogThrottle, LogsTheFirstFewOfASecondThenSummarises) {
  LogThrottle t;
  LogThrottle::TimePoint now{1h};
  for (int i = 0; i < LogThrottle::kBurst; ++i) EXPECT_EQ(t.Note(now, "a"), Action::kLog) << i;
  EXPECT_EQ(t.Note(now, "a"), Action::kCountAndSchedule);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(t.Note(now + 2s, "a"), Action::kCount);
  const LogThrottle::Summary s = t.TakeSummary();
  EXPECT_EQ(s.count, 1001u);
  EXPECT_EQ(s.subject, "a");
  EXPECT_EQ(t.Note(now + 10s, "a"), Action::kLog) << "a new window";
}

TEST(LogThrottle, ASummaryOfSeveralSubjectsNamesNone) {
  LogThrottle t;
  LogThrottle::TimePoint now{1h};
  for (int i = 0; i < LogThrottle::kBurst; ++i) t.Note(now, "a");
  t.Note(now, "a");
  t.Note(now, "b");
  const LogThrottle::Summary s = t.TakeSummary();
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.subject, "");
}

TEST(LogThrottle, ASlowTrickleIsAlwaysLogged) {
  LogThrottle t;
  LogThrottle::TimePoint now{1h};
  for (int i = 0; i < 100; ++i) EXPECT_EQ(t.Note(now + i * 300ms, "a"), Action::kLog) << i;
}

}  // namespace
}  // namespace superd
