// Table features seen from outside: `disabled`, `defaults` inheritance, host
// names resolved at load.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "harness.hpp"

namespace e2e {
namespace {

Report AskContract(uint16_t port) {
  Fd c = ConnectTcp("127.0.0.1", port);
  if (!c) return {};
  const ReadResult r = ReadAll(c.get());
  EXPECT_TRUE(r.eof);
  return ParseReport(r.data);
}

TEST(Table, DisabledServiceListensOnNothing) {
  Superd superd;
  const uint16_t on = PickPort(), off = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("on", "127.0.0.1:" + std::to_string(on), ServiceBinary("echo")) +
                    ServiceEntry("off", "127.0.0.1:" + std::to_string(off), ServiceBinary("echo"),
                                 "    disabled: true\n"));
  ASSERT_TRUE(superd.Start());
  Fd c;
  const int error = TryConnectTcp("127.0.0.1", off, &c);
  EXPECT_EQ(error, ECONNREFUSED) << "disabled service reachable: " << std::strerror(error);
  Fd e = ConnectTcp("127.0.0.1", on);
  ASSERT_TRUE(e);
  EXPECT_EQ(Exchange(e.get(), "on\n").data, "on\n");
}

TEST(Table, DefaultsApplyToEveryServiceAndAServiceOverridesThem) {
  Superd superd;
  const uint16_t a = PickPort(), b = PickPort();
  superd.WriteTable(
      "defaults:\n"
      "  umask: \"027\"\n"
      "  nice: 3\n"
      "  env:\n"
      "    FROM_DEFAULTS: \"yes\"\n"
      "services:\n" +
      ServiceEntry("a", "127.0.0.1:" + std::to_string(a), HelperBinary("contract")) +
      ServiceEntry("b", "127.0.0.1:" + std::to_string(b), HelperBinary("contract"),
                   "    umask: \"077\"\n"));
  ASSERT_TRUE(superd.Start());
  Report ra = AskContract(a), rb = AskContract(b);
  EXPECT_EQ(ra["umask"], "0027");
  EXPECT_EQ(ra["nice"], "3");
  EXPECT_EQ(ra["env:FROM_DEFAULTS"], "yes");
  EXPECT_EQ(rb["umask"], "0077");
  EXPECT_EQ(rb["nice"], "3");
  EXPECT_EQ(rb["env:FROM_DEFAULTS"], "yes");
}

TEST(Table, HostNameIsResolvedAtLoad) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "localhost:" + std::to_string(port),
                                                  ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  // localhost is 127.0.0.1 wherever IPv4 exists.
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "resolved\n").data, "resolved\n");
}

}  // namespace
}  // namespace e2e
