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
  superd.WriteTable(Subst(
      "services:\n"
      "  on:\n"
      "    listen: \"127.0.0.1:${ON}\"\n"
      "    program: ${ECHO}\n"
      "  off:\n"
      "    listen: \"127.0.0.1:${OFF}\"\n"
      "    program: ${ECHO}\n"
      "    disabled: true\n",
      {{"ON", std::to_string(on)}, {"OFF", std::to_string(off)}, {"ECHO", ServiceBinary("echo")}}));
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
  superd.WriteTable(Subst(
      "defaults:\n"
      "  umask: \"027\"\n"
      "  nice: 3\n"
      "  env:\n"
      "    FROM_DEFAULTS: \"yes\"\n"
      "services:\n"
      "  a:\n"
      "    listen: \"127.0.0.1:${A}\"\n"
      "    program: ${PROGRAM}\n"
      "  b:\n"
      "    listen: \"127.0.0.1:${B}\"\n"
      "    program: ${PROGRAM}\n"
      "    umask: \"077\"\n",
      {{"A", std::to_string(a)}, {"B", std::to_string(b)}, {"PROGRAM", HelperBinary("contract")}}));
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
  superd.WriteTable(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: \"localhost:${PORT}\"\n"
      "    program: ${ECHO}\n",
      {{"PORT", std::to_string(port)}, {"ECHO", ServiceBinary("echo")}}));
  ASSERT_TRUE(superd.Start());
  // localhost is 127.0.0.1 wherever IPv4 exists.
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "resolved\n").data, "resolved\n");
}

}  // namespace
}  // namespace e2e
