#include "instances.hpp"

#include <gtest/gtest.h>

namespace superd {
namespace {

const SteadyClock clock;

TEST(Instances, RemoveReturnsWhatAddStoredOnce) {
  Instances instances;
  auto state = std::make_shared<ServiceState>(clock);
  instances.Add(100, Instance{state, nullptr, {}, {}, {}});
  instances.Add(101, Instance{state, nullptr, {}, {}, {}});
  EXPECT_EQ(instances.size(), 2u);
  const auto got = instances.Remove(100);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->service, state);
  EXPECT_FALSE(instances.Remove(100)) << "removed twice";
  EXPECT_FALSE(instances.Remove(999)) << "not one of ours";
  EXPECT_EQ(instances.size(), 1u);
}

// Removed entries are kept for reuse, but must not keep their service (a
// service a reload removed lives only as long as its instances).
TEST(Instances, ARemovedInstanceNoLongerHoldsItsService) {
  Instances instances;
  auto state = std::make_shared<ServiceState>(clock);
  instances.Add(7, Instance{state, nullptr, {}, {}, {}});
  EXPECT_EQ(state.use_count(), 2);
  instances.Remove(7);
  EXPECT_EQ(state.use_count(), 1);
}

TEST(Instances, ReusedEntriesKeepPidsApart) {
  Instances instances;
  auto a = std::make_shared<ServiceState>(clock), b = std::make_shared<ServiceState>(clock);
  for (pid_t pid = 1; pid <= 1000; ++pid) {
    instances.Add(pid, Instance{pid % 2 ? a : b, nullptr, {}, {}, {}});
    if (pid > 3) instances.Remove(pid - 3);
  }
  EXPECT_EQ(instances.size(), 3u);
  EXPECT_EQ(instances.Remove(998)->service, b);
  EXPECT_EQ(instances.Remove(999)->service, a);
  EXPECT_EQ(instances.Remove(1000)->service, b);
  EXPECT_TRUE(instances.empty());
}

}  // namespace
}  // namespace superd
