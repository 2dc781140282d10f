#include "values.hpp"

#include <gtest/gtest.h>

using namespace superd;
using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("250ms")), 250ms);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("10s")), 10s);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("5m")), 5min);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("1h")), 1h);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("7")), 7s);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("0")), 0s);
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "s", "5x", "-1s", "1.5s", "5 s", "ms"})
    EXPECT_TRUE(std::holds_alternative<std::string>(ParseDuration(bad))) << bad;
}
