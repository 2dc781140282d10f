// max_instances and max_children: at the limit superd stops accepting; the
// connection waits in the kernel backlog and is served once an instance ends.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace e2e {
namespace {

// How long a queued connection must stay unanswered to count as queued.
constexpr auto kQuiet = 1000ms;

// A connection to a sleeper --until-eof, read up to its "ready" line.
Fd Hold(uint16_t port) {
  Fd c = ConnectTcp("127.0.0.1", port);
  if (!c) return c;
  const ReadResult r = ReadUntil(c.get(), "ready\n");
  EXPECT_NE(r.data.find("ready\n"), std::string::npos)
      << "no instance for the connection to port " << port << "; got: " << r.data;
  return c;
}

TEST(Limits, MaxInstancesQueuesTheNextConnectionUntilOneEnds) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable(Subst(
      "services:\n"
      "  hold:\n"
      "    listen: \"127.0.0.1:${PORT}\"\n"
      "    program: ${PROGRAM}\n"
      "    args: [\"--until-eof\"]\n"
      "    max_instances: 2\n",
      {{"PORT", std::to_string(port)}, {"PROGRAM", HelperBinary("sleeper")}}));
  ASSERT_TRUE(superd.Start());
  Fd first = Hold(port);
  Fd second = Hold(port);
  ASSERT_TRUE(first && second);

  // The kernel completes the third connection (backlog)...
  Fd third = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(third);
  // ...but no process serves it.
  EXPECT_FALSE(Readable(third.get(), kQuiet)) << "third connection served at the limit";
  EXPECT_EQ(superd.CountLog("^info: hold: connection from"), 2u);

  // One instance ends; the queued connection gets one.
  first.Reset();
  const ReadResult r = ReadUntil(third.get(), "ready\n");
  EXPECT_NE(r.data.find("ready\n"), std::string::npos)
      << "queued connection not served after an instance ended; got: " << r.data;
  EXPECT_TRUE(superd.WaitForLogCount("^info: hold: connection from", 3));
  EXPECT_EQ(superd.CountLog("^info: hold: connection from"), 3u);
}

TEST(Limits, MaxChildrenCapsAllServicesTogether) {
  Superd superd;
  const uint16_t port_a = PickPort(), port_b = PickPort();
  superd.WriteTable(Subst(
      "max_children: 2\n"
      "services:\n"
      "  a:\n"
      "    listen: \"127.0.0.1:${A}\"\n"
      "    program: ${PROGRAM}\n"
      "    args: [\"--until-eof\"]\n"
      "  b:\n"
      "    listen: \"127.0.0.1:${B}\"\n"
      "    program: ${PROGRAM}\n"
      "    args: [\"--until-eof\"]\n",
      {{"A", std::to_string(port_a)},
       {"B", std::to_string(port_b)},
       {"PROGRAM", HelperBinary("sleeper")}}));
  ASSERT_TRUE(superd.Start());
  Fd a1 = Hold(port_a);
  Fd b1 = Hold(port_b);
  ASSERT_TRUE(a1 && b1);

  Fd a2 = ConnectTcp("127.0.0.1", port_a);
  ASSERT_TRUE(a2);
  EXPECT_FALSE(Readable(a2.get(), kQuiet)) << "a third instance ran with max_children: 2";

  // An instance of the *other* service ends: room for a.
  b1.Reset();
  const ReadResult r = ReadUntil(a2.get(), "ready\n");
  EXPECT_NE(r.data.find("ready\n"), std::string::npos)
      << "queued connection not served after another service's instance ended; got: "
      << r.data;
}

}  // namespace
}  // namespace e2e
