// max_instances and max_children: at the limit superd stops accepting; the
// connection waits in the kernel backlog and is served once an instance ends.
// Out of descriptors, the same: the client waits until superd can accept.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <set>
#include <string>

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
  superd.WriteTable("services:\n" + ServiceEntry("hold", "127.0.0.1:" + std::to_string(port),
                                                  HelperBinary("sleeper"),
                                                  "    args: [\"--until-eof\"]\n"
                                                  "    max_instances: 2\n"));
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
  const std::string until_eof = "    args: [\"--until-eof\"]\n";
  superd.WriteTable(
      "max_children: 2\n"
      "services:\n" +
      ServiceEntry("a", "127.0.0.1:" + std::to_string(port_a), HelperBinary("sleeper"), until_eof) +
      ServiceEntry("b", "127.0.0.1:" + std::to_string(port_b), HelperBinary("sleeper"), until_eof));
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

// The lowest descriptor number free in process `pid`.
int LowestFreeFd(pid_t pid) {
  std::set<int> used;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    used.insert(std::stoi(e.path().filename()));
  int fd = 0;
  while (used.count(fd) != 0) ++fd;
  return fd;
}

TEST(Limits, OutOfDescriptorsTheClientWaitsAndIsServedOnceSuperdCanAccept) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                  ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  // superd may open no descriptor more: accept(2) fails with EMFILE.
  rlimit before{};
  ASSERT_EQ(prlimit(superd.pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  const int lowest = LowestFreeFd(superd.pid());
  ASSERT_GT(lowest, 2);
  const rlimit tight{static_cast<rlim_t>(lowest), before.rlim_max};
  ASSERT_EQ(prlimit(superd.pid(), RLIMIT_NOFILE, &tight, nullptr), 0);

  Fd c = ConnectTcp("127.0.0.1", port);  // completed by the kernel: backlog
  ASSERT_TRUE(c);
  ASSERT_TRUE(SendAll(c.get(), "waited\n"));
  ASSERT_TRUE(superd.WaitForLog(
      "^warning: echo: unable to accept: Too many open files; trying again every 100 ms$"))
      << superd.Log();
  EXPECT_FALSE(Readable(c.get(), kQuiet)) << "served without a descriptor to accept with";
  // Ten retries and more in that second, one line for the whole episode.
  EXPECT_EQ(superd.CountLog("unable to accept"), 1u) << superd.Log();

  ASSERT_EQ(prlimit(superd.pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  EXPECT_EQ(Exchange(c.get(), "").data, "waited\n") << "the waiting client was not served";
  EXPECT_TRUE(superd.WaitForLog("^info: echo: accepting again$")) << superd.Log();
  EXPECT_EQ(superd.CountLog("^error: "), 0u) << superd.Log();
}

}  // namespace
}  // namespace e2e
