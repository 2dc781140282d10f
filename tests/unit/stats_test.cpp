#include "stats.hpp"

#include <gtest/gtest.h>

namespace superd {
namespace {

TEST(StatsLine, NamesEveryCounterByReason) {
  Service service;
  service.name = "echo";
  service.listen.push_back({"127.0.0.1:7", SocketAddress::Any(AF_INET, 7), false});
  service.listen.push_back({"*:7007", SocketAddress::Any(AF_INET6, 7007), true});
  const SteadyClock clock;
  ServiceState state(clock);
  state.service = &service;
  state.running = 2;
  state.spawned = 42;
  state.failed = 1;
  state.refused[static_cast<int>(Refusal::kAcl)] = 3;
  state.refused[static_cast<int>(Refusal::kPerSource)] = 4;
  state.refused[static_cast<int>(Refusal::kRatePerSource)] = 5;
  EXPECT_EQ(StatsLine(state, "listening"),
            "state=listening addresses=0.0.0.0:7,*:7007 running=2 spawned=42 refused=12 "
            "refused_acl=3 refused_per_source=4 refused_rate_per_source=5 "
            "rate_limit_pauses=0 failed=1");
}

}  // namespace
}  // namespace superd
