// Protecting a service (SPEC, the service keys max_per_source, source_prefix,
// rate_limit, rate_limit_pause, rate_limit_per_source, allow, deny, timeout,
// rlimits, keepalive): a refused client is accepted and closed at once and
// never spawns; a rate-limited service rests while its clients wait in the
// backlog; a looping wait program is held back by the default rate_limit.
//
// Clients come from other loopback addresses (127.0.0.2, 127.1.0.1) by
// binding their socket before connecting. The IPv6 /64 case runs superd in a
// network namespace of its own, where 2001:db8::/64 addresses can be added.
// max_instances queuing is in limits_test.cpp.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

std::string Escape(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

bool FillAddress(const std::string& ip, uint16_t port, sockaddr_storage* ss, socklen_t* len) {
  if (FillInet(ip, port, ss, len)) return true;
  ADD_FAILURE() << "bad address " << ip;
  return false;
}

// A socket of `family` in the network namespace `netns` (a descriptor of
// /proc/PID/ns/net), or in the test's own when netns < 0.
Fd SocketIn(int netns, int family, int type) {
  if (netns < 0) return Fd(socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  Fd own(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own || setns(netns, CLONE_NEWNET) != 0) {
    ADD_FAILURE() << "cannot enter superd's network namespace: " << std::strerror(errno);
    return Fd();
  }
  Fd fd(socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (setns(own.get(), CLONE_NEWNET) != 0)
    ADD_FAILURE() << "cannot return to the test's network namespace: " << std::strerror(errno);
  return fd;
}

// A socket of `type` bound to local_ip (any port): a client from that address.
Fd BoundSocket(const std::string& local_ip, int type, int netns = -1) {
  sockaddr_storage local;
  socklen_t len;
  if (!FillAddress(local_ip, 0, &local, &len)) return Fd();
  Fd fd = SocketIn(netns, local.ss_family, type);
  if (!fd) return fd;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), len) != 0) {
    ADD_FAILURE() << "bind " << local_ip << ": " << std::strerror(errno);
    return Fd();
  }
  return fd;
}

// A TCP connection from local_ip to ip:port; records a failure and returns an
// empty Fd when it does not complete.
Fd ConnectFrom(const std::string& local_ip, const std::string& ip, uint16_t port,
               int netns = -1) {
  Fd fd = BoundSocket(local_ip, SOCK_STREAM, netns);
  sockaddr_storage remote;
  socklen_t len;
  if (!fd || !FillAddress(ip, port, &remote, &len)) return Fd();
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), len) != 0) {
    int error = errno;
    if (error == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      error = poll(&p, 1, static_cast<int>(kTimeout.count())) == 1 ? 0 : ETIMEDOUT;
      socklen_t elen = sizeof error;
      if (error == 0) getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &elen);
    }
    if (error != 0) {
      ADD_FAILURE() << "connect from " << local_ip << " to " << ip << " port " << port << ": "
                    << std::strerror(error);
      return Fd();
    }
  }
  return fd;
}

// A UDP socket bound to local_ip and connected to ip:port.
Fd UdpFrom(const std::string& local_ip, const std::string& ip, uint16_t port) {
  Fd fd = BoundSocket(local_ip, SOCK_DGRAM);
  sockaddr_storage remote;
  socklen_t len;
  if (!fd || !FillAddress(ip, port, &remote, &len)) return Fd();
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), len) != 0) {
    ADD_FAILURE() << "udp connect: " << std::strerror(errno);
    return Fd();
  }
  return fd;
}

// A connection served by superd-test-sleeper: its pids, read up to "ready".
struct Held {
  Fd fd;
  std::string pid, child;  // child: with --fork
  uint16_t client_port = 0;
  explicit operator bool() const { return fd && !pid.empty(); }
};

Held HoldFrom(const std::string& local_ip, const std::string& ip, uint16_t port,
              int netns = -1) {
  Held held;
  held.fd = ConnectFrom(local_ip, ip, port, netns);
  if (!held.fd) return held;
  held.client_port = LocalPort(held.fd.get());
  const ReadResult r = ReadUntil(held.fd.get(), "ready\n");
  const Report report = ParseReport(r.data);
  if (r.data.find("ready\n") == std::string::npos || !report.count("pid")) {
    ADD_FAILURE() << "connection from " << local_ip << " not served; got: '" << r.data << "'";
    return held;
  }
  held.pid = report.at("pid");
  if (report.count("child")) held.child = report.at("child");
  return held;
}

// A connection from local_ip that superd accepts and closes at once: end of
// input with no data. Its client port, or 0 (with a failure) when it was not
// refused that way.
uint16_t RefusedFrom(const std::string& local_ip, const std::string& ip, uint16_t port,
                     int netns = -1) {
  Fd fd = ConnectFrom(local_ip, ip, port, netns);
  if (!fd) return 0;
  const uint16_t client_port = LocalPort(fd.get());
  const ReadResult r = ReadAll(fd.get());
  if (!r.eof || !r.data.empty()) {
    ADD_FAILURE() << "connection from " << local_ip << " was not closed at once: eof=" << r.eof
                  << " data='" << r.data << "'";
    return 0;
  }
  return client_port;
}

// SIGUSR1, then the service's stats line as KEY -> VALUE (state, spawned,
// refused_acl, ...).
std::map<std::string, std::string> Stats(Superd& superd, const std::string& service) {
  const std::string re = "^info: " + service + ": state=";
  const size_t before = superd.CountLog(re);
  kill(superd.pid(), SIGUSR1);
  if (!superd.WaitForLogCount(re, before + 1)) {
    ADD_FAILURE() << "no stats line for " << service << " after SIGUSR1";
    return {};
  }
  std::string line;
  for (const auto& l : superd.LogLines())
    if (std::regex_search(l, std::regex(re))) line = l;
  std::map<std::string, std::string> stats;
  std::istringstream words(line.substr(line.find("state=")));
  for (std::string word; words >> word;) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos) stats[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return stats;
}

// The indices of the log lines matching `regex`, in order.
std::vector<size_t> LinesMatching(const Superd& superd, const std::string& regex) {
  const std::regex re(regex);
  std::vector<size_t> at;
  const auto lines = superd.LogLines();
  for (size_t i = 0; i < lines.size(); ++i)
    if (std::regex_search(lines[i], re)) at.push_back(i);
  return at;
}

// --- max_per_source and source_prefix ---------------------------------------

// Service "limited" on 127.0.0.1 running `program` with `extra` keys.
class PolicyPerSource : public ::testing::Test {
 protected:
  void StartWith(const std::string& program, const std::string& extra,
                 const std::string& listen_ip = "127.0.0.1") {
    port_ = PickPort();
    const std::string host = listen_ip.find(':') == std::string::npos ? listen_ip
                                                                      : "[" + listen_ip + "]";
    superd_.WriteTable("services:\n" +
                       ServiceEntry("limited", host + ":" + Str(port_), program, extra));
    ASSERT_TRUE(superd_.Start());
  }

  // The max_per_source refusal of the client at ip:client_port.
  void ExpectRefusedLine(const std::string& ip, uint16_t client_port, const std::string& source) {
    const std::string client = ip.find(':') == std::string::npos ? ip : "[" + ip + "]";
    EXPECT_TRUE(superd_.WaitForLog(
        "^warning: limited: refused connection from " + Escape(client) + ":" +
        Str(client_port) + ": max_per_source \\(1\\) reached for " + Escape(source) + "$"))
        << superd_.Log();
  }

  // The limit holds again after a slot came back: one connection from
  // 127.0.0.1 is served, a second at the same time refused.
  void ExpectOneSlot() {
    Held again = HoldFrom("127.0.0.1", "127.0.0.1", port_);
    EXPECT_TRUE(again) << "the slot did not come back";
    const uint16_t refused = RefusedFrom("127.0.0.1", "127.0.0.1", port_);
    if (refused != 0) ExpectRefusedLine("127.0.0.1", refused, "127.0.0.1");
  }

  Superd superd_;
  uint16_t port_ = 0;
};

const std::string kUntilEof = "    args: [\"--until-eof\"]\n";

TEST_F(PolicyPerSource, SecondConnectionFromOneAddressIsClosedAnotherAddressIsServed) {
  StartWith(HelperBinary("sleeper"), kUntilEof + "    max_per_source: 1\n");
  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_TRUE(first);

  const uint16_t refused = RefusedFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_NE(refused, 0);
  ExpectRefusedLine("127.0.0.1", refused, "127.0.0.1");

  // Another client address has a slot of its own.
  Held other = HoldFrom("127.0.0.2", "127.0.0.1", port_);
  EXPECT_TRUE(other);
  EXPECT_TRUE(superd_.WaitForLog("^info: limited: connection from 127\\.0\\.0\\.2:" +
                                 Str(other.client_port) + ", pid " + other.pid + "$"));
  EXPECT_EQ(superd_.CountLog("^info: limited: connection from"), 2u) << superd_.Log();
  auto stats = Stats(superd_, "limited");
  EXPECT_EQ(stats["running"], "2");
  EXPECT_EQ(stats["spawned"], "2");
  EXPECT_EQ(stats["refused_per_source"], "1");
}

TEST_F(PolicyPerSource, SlotComesBackWhenTheInstanceExits) {
  StartWith(HelperBinary("sleeper"), kUntilEof + "    max_per_source: 1\n");
  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_TRUE(first);
  ASSERT_NE(RefusedFrom("127.0.0.1", "127.0.0.1", port_), 0);

  first.fd.Reset();  // end of input: the sleeper exits 0
  ASSERT_TRUE(superd_.WaitForLog("^info: limited: pid " + first.pid + " exited with status 0"))
      << superd_.Log();
  ExpectOneSlot();
}

// A reload that changes the service (here its source_prefix and its
// rate_limit_per_source, which reset the buckets) keeps the running
// instance counted, and its slot comes back when it ends.
TEST_F(PolicyPerSource, SlotComesBackAfterAReloadChangedTheService) {
  StartWith(HelperBinary("sleeper"), kUntilEof + "    max_per_source: 1\n");
  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_TRUE(first);
  superd_.WriteTable("services:\n" +
                     ServiceEntry("limited", "127.0.0.1:" + Str(port_), HelperBinary("sleeper"),
                                  kUntilEof + "    max_per_source: 1\n"
                                  "    source_prefix: {ipv4: 32, ipv6: 56}\n"
                                  "    rate_limit_per_source: \"100/1s\"\n"));
  ASSERT_EQ(kill(superd_.pid(), SIGHUP), 0);
  ASSERT_TRUE(superd_.WaitForLog("^info: superd: reloaded")) << superd_.Log();
  ASSERT_NE(RefusedFrom("127.0.0.1", "127.0.0.1", port_), 0) << "still counted after the reload";
  first.fd.Reset();
  ASSERT_TRUE(superd_.WaitForLog("^info: limited: pid " + first.pid + " exited with status 0"))
      << superd_.Log();
  ExpectOneSlot();
}

TEST_F(PolicyPerSource, SlotComesBackWhenTheInstanceIsKilled) {
  StartWith(HelperBinary("sleeper"), kUntilEof + "    max_per_source: 1\n");
  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_TRUE(first);
  ASSERT_NE(RefusedFrom("127.0.0.1", "127.0.0.1", port_), 0);

  // The pid as superd logs it.
  const auto spawned = superd_.WaitForLog("^info: limited: connection from 127\\.0\\.0\\.1:" +
                                          Str(first.client_port) + ", pid ([0-9]+)$");
  ASSERT_TRUE(spawned) << superd_.Log();
  ASSERT_EQ((*spawned)[1], first.pid);
  ASSERT_EQ(kill(std::stoi((*spawned)[1]), SIGKILL), 0);
  ASSERT_TRUE(superd_.WaitForLog("^info: limited: pid " + first.pid +
                                 " killed by signal 9 \\(SIGKILL\\)"))
      << superd_.Log();
  ExpectOneSlot();
}

TEST_F(PolicyPerSource, SlotComesBackWhenTheInstanceTimesOut) {
  StartWith(HelperBinary("sleeper"), kUntilEof + "    max_per_source: 1\n    timeout: 1s\n");
  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_TRUE(first);
  ASSERT_NE(RefusedFrom("127.0.0.1", "127.0.0.1", port_), 0);

  ASSERT_TRUE(superd_.WaitForLog("^warning: limited: pid " + first.pid + " timed out after"))
      << superd_.Log();
  ASSERT_TRUE(superd_.WaitForLog("^info: limited: pid " + first.pid +
                                 " killed by signal 15 \\(SIGTERM\\)"))
      << superd_.Log();
  ExpectOneSlot();
}

TEST_F(PolicyPerSource, SlotIsNotLeakedByAnExecFailure) {
  // A copy of the sleeper that the test can take away and put back.
  const std::string program = superd_.dir() + "/sleeper";
  std::filesystem::copy_file(HelperBinary("sleeper"), program);
  StartWith(program, kUntilEof + "    max_per_source: 1\n");
  ASSERT_EQ(unlink(program.c_str()), 0);

  // Each connection fails to exec; none is refused for a slot the failed
  // one would still hold.
  for (size_t n = 1; n <= 2; ++n) {
    Fd c = ConnectFrom("127.0.0.1", "127.0.0.1", port_);
    ASSERT_TRUE(c);
    const ReadResult r = ReadAll(c.get());
    EXPECT_TRUE(r.eof);
    EXPECT_EQ(r.data, "");
    EXPECT_TRUE(superd_.WaitForLogCount(
        "^warning: limited: unable to exec " + Escape(program) + ": No such file or directory$",
        n))
        << superd_.Log();
  }
  EXPECT_EQ(superd_.CountLog("max_per_source"), 0u) << superd_.Log();

  std::filesystem::copy_file(HelperBinary("sleeper"), program);
  ExpectOneSlot();
  auto stats = Stats(superd_, "limited");
  EXPECT_EQ(stats["failed"], "2");
}

TEST_F(PolicyPerSource, SourcePrefixGroupsAddressesOfOneIpv4Block) {
  StartWith(HelperBinary("sleeper"),
            kUntilEof + "    max_per_source: 1\n    source_prefix: {ipv4: 24}\n");
  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port_);
  ASSERT_TRUE(first);
  // 127.0.0.2 is in the same /24: it shares the slot.
  const uint16_t refused = RefusedFrom("127.0.0.2", "127.0.0.1", port_);
  ASSERT_NE(refused, 0);
  ExpectRefusedLine("127.0.0.2", refused, "127.0.0.0/24");
  // 127.1.0.1 is another /24.
  Held other = HoldFrom("127.1.0.1", "127.0.0.1", port_);
  EXPECT_TRUE(other);
  EXPECT_EQ(superd_.CountLog("^info: limited: connection from"), 2u) << superd_.Log();
}

TEST_F(PolicyPerSource, Ipv6LoopbackIsCountedByItsSlash64) {
  if (!HaveIpv6Loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  StartWith(HelperBinary("sleeper"), kUntilEof + "    max_per_source: 1\n", "::1");
  Held first = HoldFrom("::1", "::1", port_);
  ASSERT_TRUE(first);
  const uint16_t refused = RefusedFrom("::1", "::1", port_);
  ASSERT_NE(refused, 0);
  ExpectRefusedLine("::1", refused, "::/64");
}

TEST_F(PolicyPerSource, UnixClientsAreCountedByUidAndNotSubjectToAllowDeny) {
  const std::string path = superd_.dir() + "/limited.sock";
  superd_.WriteTable("services:\n" +
                     ServiceEntry("limited", "unix:" + path, HelperBinary("sleeper"),
                                  kUntilEof +
                                      "    max_per_source: 1\n"
                                      "    deny: [\"0.0.0.0/0\", \"::/0\"]\n"));
  ASSERT_TRUE(superd_.Start());
  Fd first = ConnectUnix(path);
  ASSERT_TRUE(first);
  const ReadResult served = ReadUntil(first.get(), "ready\n");
  EXPECT_NE(served.data.find("ready\n"), std::string::npos)
      << "a UNIX client was refused by deny; got: " << served.data;

  Fd second = ConnectUnix(path);
  ASSERT_TRUE(second);
  const ReadResult r = ReadAll(second.get());
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.data, "");
  const std::string uid = "uid " + Str(geteuid());
  EXPECT_TRUE(superd_.WaitForLog("^warning: limited: refused connection from " + uid +
                                 ": max_per_source \\(1\\) reached for " + uid + "$"))
      << superd_.Log();
}

// Two IPv6 addresses of one /64 are one source. Loopback has only ::1, so
// superd runs in a network namespace of its own (unshare --net) where
// 2001:db8::1, 2001:db8::2 (one /64) and 2001:db8:0:1::1 (another) are on
// lo; the test makes its client sockets in that namespace (setns).
TEST(PolicyPerSourceIpv6, TwoAddressesOfOneSlash64ShareASlot) {
  if (geteuid() != 0) GTEST_SKIP() << "a network namespace of its own needs root";
  std::string ip;
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (access(path, X_OK) == 0) ip = path;
  if (ip.empty() || access("/usr/bin/unshare", X_OK) != 0)
    GTEST_SKIP() << "needs ip(8) (iproute2) and unshare(1) (util-linux)";
  const std::string setup = ip + " link set lo up && " + ip +
                            " -6 addr add 2001:db8::1/64 dev lo nodad && " + ip +
                            " -6 addr add 2001:db8::2/64 dev lo nodad && " + ip +
                            " -6 addr add 2001:db8:0:1::1/64 dev lo nodad && exec \"$@\"";
  Superd superd;
  const RunResult probe = RunCommand(
      {"/usr/bin/unshare", "--net", "/bin/sh", "-ec", setup, "sh", "/bin/true"}, superd.dir());
  if (!probe.exited || probe.exit_code != 0)
    GTEST_SKIP() << "cannot make a network namespace with IPv6 addresses here: " << probe.err;

  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("limited", "[2001:db8::1]:" + Str(port), HelperBinary("sleeper"),
                                 kUntilEof + "    max_per_source: 1\n"));
  StartOptions options;
  options.wrapper = {"/usr/bin/unshare", "--net", "/bin/sh", "-ec", setup, "sh"};
  ASSERT_TRUE(superd.Start(options));
  Fd netns(open(("/proc/" + Str(superd.pid()) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(netns);

  Held first = HoldFrom("2001:db8::2", "2001:db8::1", port, netns.get());
  ASSERT_TRUE(first);
  const uint16_t refused = RefusedFrom("2001:db8::1", "2001:db8::1", port, netns.get());
  ASSERT_NE(refused, 0);
  EXPECT_TRUE(superd.WaitForLog("^warning: limited: refused connection from \\[2001:db8::1\\]:" +
                                Str(refused) +
                                ": max_per_source \\(1\\) reached for 2001:db8::/64$"))
      << superd.Log();
  Held other = HoldFrom("2001:db8:0:1::1", "2001:db8::1", port, netns.get());
  EXPECT_TRUE(other) << "a client of another /64 was refused";
  EXPECT_EQ(superd.CountLog("^info: limited: connection from"), 2u) << superd.Log();
}

// --- allow and deny ---------------------------------------------------------

// An echo exchange from local_ip succeeds.
void ExpectEchoFrom(const std::string& local_ip, const std::string& ip, uint16_t port) {
  Fd c = ConnectFrom(local_ip, ip, port);
  ASSERT_TRUE(c);
  const ReadResult r = Exchange(c.get(), "hello from " + local_ip + "\n");
  EXPECT_EQ(r.data, "hello from " + local_ip + "\n") << "client " << local_ip << " not served";
}

TEST(Acl, DenyWinsOverAllowAndTheRuleIsLoggedAsWritten) {
  Superd superd;
  const uint16_t guarded = PickPort(), only = PickPort();
  superd.WriteTable(
      "services:\n" +
      ServiceEntry("guarded", "127.0.0.1:" + Str(guarded), ServiceBinary("echo"),
                   "    allow: [\"127.0.0.0/8\"]\n"
                   "    deny: [\"10.0.0.0/8\", \"127.0.0.2/32\", \"127.0.0.3\"]\n") +
      ServiceEntry("only", "127.0.0.1:" + Str(only), ServiceBinary("echo"),
                   "    allow: [\"127.0.0.1/32\"]\n"));
  ASSERT_TRUE(superd.Start());

  ExpectEchoFrom("127.0.0.1", "127.0.0.1", guarded);
  ExpectEchoFrom("127.0.0.4", "127.0.0.1", guarded);
  const uint16_t two = RefusedFrom("127.0.0.2", "127.0.0.1", guarded);
  const uint16_t three = RefusedFrom("127.0.0.3", "127.0.0.1", guarded);
  EXPECT_TRUE(superd.WaitForLog("^warning: guarded: refused connection from 127\\.0\\.0\\.2:" +
                                Str(two) + ": deny 127\\.0\\.0\\.2/32$"))
      << superd.Log();
  EXPECT_TRUE(superd.WaitForLog("^warning: guarded: refused connection from 127\\.0\\.0\\.3:" +
                                Str(three) + ": deny 127\\.0\\.0\\.3$"))
      << superd.Log();

  ExpectEchoFrom("127.0.0.1", "127.0.0.1", only);
  const uint16_t other = RefusedFrom("127.0.0.2", "127.0.0.1", only);
  EXPECT_TRUE(superd.WaitForLog("^warning: only: refused connection from 127\\.0\\.0\\.2:" +
                                Str(other) + ": not in allow$"))
      << superd.Log();

  // Only the served clients spawned.
  EXPECT_EQ(superd.CountLog("^info: guarded: connection from"), 2u) << superd.Log();
  EXPECT_EQ(superd.CountLog("^info: only: connection from"), 1u) << superd.Log();
  auto stats = Stats(superd, "guarded");
  EXPECT_EQ(stats["spawned"], "2");
  EXPECT_EQ(stats["refused"], "2");
  EXPECT_EQ(stats["refused_acl"], "2");
  stats = Stats(superd, "only");
  EXPECT_EQ(stats["spawned"], "1");
  EXPECT_EQ(stats["refused_acl"], "1");
}

TEST(Acl, Ipv6RulesOnIpv6Loopback) {
  if (!HaveIpv6Loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  Superd superd;
  const uint16_t denied = PickPort(), allowed = PickPort();
  superd.WriteTable(
      "services:\n" +
      ServiceEntry("denied", "[::1]:" + Str(denied), ServiceBinary("echo"),
                   "    deny: [\"::1/128\"]\n") +
      ServiceEntry("allowed", "[::1]:" + Str(allowed), ServiceBinary("echo"),
                   "    allow: [\"::1/128\"]\n    deny: [\"2001:db8::/32\"]\n"));
  ASSERT_TRUE(superd.Start());
  const uint16_t refused = RefusedFrom("::1", "::1", denied);
  EXPECT_TRUE(superd.WaitForLog("^warning: denied: refused connection from \\[::1\\]:" +
                                Str(refused) + ": deny ::1/128$"))
      << superd.Log();
  ExpectEchoFrom("::1", "::1", allowed);
  EXPECT_EQ(superd.CountLog("^info: denied: connection from"), 0u) << superd.Log();
}

TEST(Acl, Ipv4ClientsOfADualStackSocketMatchIpv4Rules) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("dual", "*:" + Str(port), ServiceBinary("echo"),
                                 "    allow: [\"127.0.0.0/8\"]\n"
                                 "    deny: [\"127.0.0.2/32\"]\n"));
  ASSERT_TRUE(superd.Start());
  // On [::] these arrive as ::ffff:127.0.0.1 and ::ffff:127.0.0.2.
  ExpectEchoFrom("127.0.0.1", "127.0.0.1", port);
  const uint16_t refused = RefusedFrom("127.0.0.2", "127.0.0.1", port);
  EXPECT_TRUE(superd.WaitForLog("^warning: dual: refused connection from 127\\.0\\.0\\.2:" +
                                Str(refused) + ": deny 127\\.0\\.0\\.2/32$"))
      << superd.Log();
  size_t refusals = 1;
  if (HaveIpv6Loopback()) {
    // A real IPv6 client is not in the IPv4 allow list.
    const uint16_t v6 = RefusedFrom("::1", "::1", port);
    EXPECT_TRUE(superd.WaitForLog("^warning: dual: refused connection from \\[::1\\]:" +
                                  Str(v6) + ": not in allow$"))
        << superd.Log();
    ++refusals;
  }
  EXPECT_EQ(superd.CountLog("^info: dual: connection from"), 1u) << superd.Log();
  auto stats = Stats(superd, "dual");
  EXPECT_EQ(stats["refused_acl"], Str(static_cast<long>(refusals)));
  EXPECT_EQ(stats["spawned"], "1");
}

TEST(Acl, UdpDatagramFromADeniedSenderIsDroppedWithoutASpawn) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("uecho", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                 "    protocol: udp\n"
                                 "    deny: [\"127.0.0.2/32\"]\n"));
  ASSERT_TRUE(superd.Start());

  Fd denied = UdpFrom("127.0.0.2", "127.0.0.1", port);
  ASSERT_TRUE(denied);
  ASSERT_EQ(send(denied.get(), "from two", 8, 0), 8);
  EXPECT_TRUE(superd.WaitForLog("^warning: uecho: refused datagram from 127\\.0\\.0\\.2:" +
                                Str(LocalPort(denied.get())) + ": deny 127\\.0\\.0\\.2/32$"))
      << superd.Log();
  EXPECT_EQ(superd.CountLog("^info: uecho: started pid"), 0u) << superd.Log();

  Fd allowed = UdpSocket("127.0.0.1", port);
  ASSERT_TRUE(allowed);
  ASSERT_EQ(send(allowed.get(), "from one", 8, 0), 8);
  EXPECT_EQ(ReceiveDatagram(allowed.get()).value_or("<nothing>"), "from one");
  // Had the denied datagram been left for the program, it would have been
  // answered before this one.
  EXPECT_FALSE(Readable(denied.get(), 0ms)) << "the denied sender got an answer";
  EXPECT_EQ(superd.CountLog("^info: uecho: started pid"), 1u) << superd.Log();
  auto stats = Stats(superd, "uecho");
  EXPECT_EQ(stats["refused_acl"], "1");
  EXPECT_EQ(stats["spawned"], "1");
}

// A flood of refusals: five lines, then the rest in one summary line naming
// the source, 10 s later.
TEST(Acl, FloodOfRefusalsIsSummarisedBySource) {
  Superd superd;
  const uint16_t denied = PickPort(), crowded = PickPort();
  superd.WriteTable(
      "services:\n" +
      ServiceEntry("denied", "127.0.0.1:" + Str(denied), ServiceBinary("echo"),
                   "    deny: [\"127.0.0.2/32\"]\n") +
      ServiceEntry("crowded", "127.0.0.1:" + Str(crowded), HelperBinary("sleeper"),
                   kUntilEof + "    max_per_source: 1\n"));
  ASSERT_TRUE(superd.Start());
  Held holder = HoldFrom("127.0.0.1", "127.0.0.1", crowded);
  ASSERT_TRUE(holder);
  constexpr int kFlood = 12;
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_NE(RefusedFrom("127.0.0.2", "127.0.0.1", denied), 0);
    ASSERT_NE(RefusedFrom("127.0.0.1", "127.0.0.1", crowded), 0);
  }
  for (const auto& [service, source] :
       {std::pair<std::string, std::string>{"denied", "127.0.0.2"}, {"crowded", "127.0.0.1"}}) {
    const auto summary = superd.WaitForLog(
        "^warning: " + service + ": refused ([0-9]+) more from (.*) in the last 10s$", 15s);
    ASSERT_TRUE(summary) << "no summary for " << service << "\n" << superd.Log();
    EXPECT_EQ((*summary)[2], source) << service;
    const size_t lines = superd.CountLog("^warning: " + service + ": refused connection from");
    EXPECT_GE(lines, 5u) << service;
    EXPECT_EQ(lines + std::stoul((*summary)[1]), size_t{kFlood}) << service;
  }
}

// Refusals waiting for their summary are not lost when superd stops.
TEST(Acl, PendingSummaryIsLoggedWhenSuperdStops) {
  Superd superd;
  const uint16_t denied = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("denied", "127.0.0.1:" + Str(denied), ServiceBinary("echo"),
                                 "    deny: [\"127.0.0.2/32\"]\n"));
  ASSERT_TRUE(superd.Start());
  constexpr int kFlood = 12;
  for (int i = 0; i < kFlood; ++i) ASSERT_NE(RefusedFrom("127.0.0.2", "127.0.0.1", denied), 0);
  // Well inside the 10 s summary period.
  const auto status = superd.Stop();
  ASSERT_TRUE(status);
  const size_t lines = superd.CountLog("^warning: denied: refused connection from");
  const auto summary = superd.WaitForLog(
      "^warning: denied: refused ([0-9]+) more from 127\\.0\\.0\\.2 in the last 10s$", 0s);
  ASSERT_TRUE(summary) << superd.Log();
  EXPECT_EQ(lines + std::stoul((*summary)[1]), size_t{kFlood}) << superd.Log();
}

// A refused client spawns nothing, and each refusal is counted by its reason.
TEST(PolicyRefusal, SpawnsNothingAndIsCountedByReason) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("strict", "127.0.0.1:" + Str(port), HelperBinary("sleeper"),
                                 kUntilEof +
                                     "    max_per_source: 1\n"
                                     "    rate_limit_per_source: \"2/1m\"\n"
                                     "    deny: [\"127.0.0.2/32\"]\n"));
  ASSERT_TRUE(superd.Start());
  auto before = Stats(superd, "strict");
  EXPECT_EQ(before["spawned"], "0");

  Held first = HoldFrom("127.0.0.1", "127.0.0.1", port);  // token 1 of 2
  ASSERT_TRUE(first);
  ASSERT_NE(RefusedFrom("127.0.0.1", "127.0.0.1", port), 0);  // max_per_source
  ASSERT_NE(RefusedFrom("127.0.0.2", "127.0.0.1", port), 0);  // deny
  first.fd.Reset();
  ASSERT_TRUE(superd.WaitForLog("^info: strict: pid " + first.pid + " exited"));
  Held second = HoldFrom("127.0.0.1", "127.0.0.1", port);  // token 2 of 2
  ASSERT_TRUE(second);
  second.fd.Reset();
  ASSERT_TRUE(superd.WaitForLog("^info: strict: pid " + second.pid + " exited"));
  const uint16_t third = RefusedFrom("127.0.0.1", "127.0.0.1", port);  // no token left
  EXPECT_TRUE(superd.WaitForLog("^warning: strict: refused connection from 127\\.0\\.0\\.1:" +
                                Str(third) +
                                ": rate_limit_per_source \\(2 per 60\\.000s\\) exceeded by "
                                "127\\.0\\.0\\.1$"))
      << superd.Log();

  auto stats = Stats(superd, "strict");
  EXPECT_EQ(stats["spawned"], "2");
  EXPECT_EQ(stats["running"], "0");
  EXPECT_EQ(stats["refused"], "3");
  EXPECT_EQ(stats["refused_acl"], "1");
  EXPECT_EQ(stats["refused_per_source"], "1");
  EXPECT_EQ(stats["refused_rate_per_source"], "1");
  EXPECT_EQ(stats["failed"], "0");
  EXPECT_EQ(superd.CountLog("^info: strict: connection from"), 2u) << superd.Log();
}

// --- rate_limit and rate_limit_per_source ----------------------------------

TEST(RateLimit, BurstIsServedThenTheServiceRestsAndServesTheWaitingClients) {
  Superd superd;
  const uint16_t port = PickPort();
  // A token every 400 ms: the burst of 8 connections below empties the
  // bucket long before one comes back; after the 2 s pause it is full again.
  superd.WriteTable("services:\n" +
                    ServiceEntry("limited", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                 "    rate_limit: \"5/2s\"\n"
                                 "    rate_limit_pause: 2s\n"));
  ASSERT_TRUE(superd.Start());
  constexpr int kClients = 8;
  std::vector<Fd> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(ConnectTcp("127.0.0.1", port));  // completed by the kernel
    ASSERT_TRUE(clients.back());
  }
  for (int i = 0; i < kClients; ++i) {
    const std::string line = "client " + Str(i) + "\n";
    const ReadResult r = Exchange(clients[i].get(), line);
    EXPECT_EQ(r.data, line) << "client " << i << " not served";
  }

  const std::string connection = "^info: limited: connection from";
  const auto warnings = LinesMatching(
      superd, "^warning: limited: rate_limit \\(5 per 2\\.000s\\) reached; not accepting for "
              "[0-9.]+s$");
  const auto resumed =
      LinesMatching(superd, "^info: limited: rate_limit pause over; accepting again$");
  const auto spawns = LinesMatching(superd, connection);
  ASSERT_EQ(warnings.size(), 1u) << superd.Log();
  ASSERT_EQ(resumed.size(), 1u) << superd.Log();
  ASSERT_EQ(spawns.size(), size_t{kClients}) << superd.Log();
  // Five at once, then the pause, then the three that waited.
  EXPECT_LT(spawns[4], warnings[0]) << superd.Log();
  EXPECT_GT(spawns[5], resumed[0]) << superd.Log();
  EXPECT_LT(warnings[0], resumed[0]);
  auto stats = Stats(superd, "limited");
  EXPECT_EQ(stats["rate_limit_pauses"], "1");
  EXPECT_EQ(stats["spawned"], Str(kClients));
  EXPECT_EQ(stats["refused"], "0");
}

// Taking the last token is no pause: the pause begins when a client finds
// the bucket empty, so a client that comes once tokens are back is served
// at once.
TEST(RateLimit, EmptyingTheBucketBeginsNoPauseWithoutAWaitingClient) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("limited", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                 "    rate_limit: \"2/200ms\"\n"
                                 "    rate_limit_pause: 1h\n"));
  ASSERT_TRUE(superd.Start());
  for (int i = 0; i < 2; ++i) ExpectEchoFrom("127.0.0.1", "127.0.0.1", port);
  ASSERT_TRUE(superd.WaitForLogCount("^info: limited: pid [0-9]+ exited", 2));
  // The bucket refills within 200 ms; wait for a token without a clock:
  // the stats say whether a pause began (which would last an hour).
  std::this_thread::sleep_for(300ms);
  ExpectEchoFrom("127.0.0.1", "127.0.0.1", port);
  EXPECT_EQ(superd.CountLog("rate_limit \\(2 per 0\\.200s\\) reached"), 0u) << superd.Log();
  EXPECT_EQ(Stats(superd, "limited")["rate_limit_pauses"], "0");
}

// A reload that changes the rate ends the pause of the old one: its clients
// are served at once, and no stale "accepting again" follows later.
TEST(RateLimit, AReloadThatChangesTheRateEndsThePause) {
  Superd superd;
  const uint16_t port = PickPort();
  const auto table = [&](const std::string& rate) {
    superd.WriteTable("services:\n" +
                      ServiceEntry("limited", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                   "    rate_limit: \"" + rate + "\"\n"
                                   "    rate_limit_pause: 1h\n"));
  };
  table("1/1h");
  ASSERT_TRUE(superd.Start());
  ExpectEchoFrom("127.0.0.1", "127.0.0.1", port);
  Fd waiting = ConnectTcp("127.0.0.1", port);  // completed by the kernel, not served
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(superd.WaitForLog("^warning: limited: rate_limit \\(1 per 3600\\.000s\\) reached"))
      << superd.Log();
  EXPECT_EQ(Stats(superd, "limited")["state"], "rate-limited");
  table("100/1s");
  kill(superd.pid(), SIGHUP);
  ASSERT_TRUE(superd.WaitForLog("^info: superd: reloaded")) << superd.Log();
  EXPECT_EQ(Exchange(waiting.get(), "late\n").data, "late\n") << superd.Log();
  EXPECT_EQ(Stats(superd, "limited")["state"], "listening");
  EXPECT_EQ(superd.CountLog("accepting again"), 0u) << superd.Log();
}

TEST(RateLimit, PerSourceRefusesOnlyTheClientBeyondItsBucket) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("limited", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                 "    rate_limit_per_source: \"2/1m\"\n"));
  ASSERT_TRUE(superd.Start());
  ExpectEchoFrom("127.0.0.1", "127.0.0.1", port);
  ExpectEchoFrom("127.0.0.1", "127.0.0.1", port);
  const uint16_t refused = RefusedFrom("127.0.0.1", "127.0.0.1", port);
  EXPECT_TRUE(superd.WaitForLog("^warning: limited: refused connection from 127\\.0\\.0\\.1:" +
                                Str(refused) +
                                ": rate_limit_per_source \\(2 per 60\\.000s\\) exceeded by "
                                "127\\.0\\.0\\.1$"))
      << superd.Log();
  // Another client is unaffected.
  ExpectEchoFrom("127.0.0.2", "127.0.0.1", port);
  auto stats = Stats(superd, "limited");
  EXPECT_EQ(stats["refused_rate_per_source"], "1");
  EXPECT_EQ(stats["spawned"], "3");
  EXPECT_EQ(stats["rate_limit_pauses"], "0");
}

// --- timeout ----------------------------------------------------------------

double Seconds(const std::optional<std::vector<std::string>>& match) {
  return match && match->size() > 1 ? std::stod((*match)[1]) : -1;
}

// For a scope, this process adopts its orphaned descendants (the child an
// instance forked, once the instance is gone), so that a test learns how
// they died.
class ScopedSubreaper {
 public:
  ScopedSubreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~ScopedSubreaper() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
  ScopedSubreaper(const ScopedSubreaper&) = delete;
  ScopedSubreaper& operator=(const ScopedSubreaper&) = delete;
};

// "SIGTERM", "SIGKILL", "exit 0": how the orphan `pid` ended, once it is
// ours and has ended.
std::string WaitOrphan(pid_t pid) {
  const auto deadline = Clock::now() + kTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (Clock::now() >= deadline) return "not reaped";
    std::this_thread::sleep_for(10ms);
  }
  if (WIFSIGNALED(status)) return std::string("SIG") + sigabbrev_np(WTERMSIG(status));
  return "exit " + Str(WEXITSTATUS(status));
}

TEST(Timeout, KillsTheProgramAndTheChildItForked) {
  ScopedSubreaper subreaper;
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("slow", "127.0.0.1:" + Str(port), HelperBinary("sleeper"),
                                 "    args: [\"--fork\", \"30\"]\n"
                                 "    timeout: 1s\n"));
  ASSERT_TRUE(superd.Start());
  Held held = HoldFrom("127.0.0.1", "127.0.0.1", port);
  ASSERT_TRUE(held);
  ASSERT_FALSE(held.child.empty());

  const auto timed_out = superd.WaitForLog(
      "^warning: slow: pid " + held.pid +
      " timed out after ([0-9.]+)s; SIGTERM to its process group$");
  ASSERT_TRUE(timed_out) << superd.Log();
  EXPECT_GE(Seconds(timed_out), 1.0);
  EXPECT_TRUE(superd.WaitForLog("^info: slow: pid " + held.pid +
                                " killed by signal 15 \\(SIGTERM\\) after"))
      << superd.Log();
  EXPECT_TRUE(WaitProcessGone(std::stoi(held.pid)));
  // SIGTERM reached the whole process group, not only the program.
  EXPECT_EQ(WaitOrphan(std::stoi(held.child)), "SIGTERM");
  const ReadResult r = ReadAll(held.fd.get());
  EXPECT_TRUE(r.eof);
}

TEST(Timeout, ProgramIgnoringSigtermIsKilledWithItsGroupTwoSecondsLater) {
  ScopedSubreaper subreaper;
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("stubborn", "127.0.0.1:" + Str(port), HelperBinary("sleeper"),
                                 "    args: [\"--ignore-term\", \"--fork\", \"30\"]\n"
                                 "    timeout: 1s\n"));
  ASSERT_TRUE(superd.Start());
  Held held = HoldFrom("127.0.0.1", "127.0.0.1", port);
  ASSERT_TRUE(held);
  ASSERT_FALSE(held.child.empty());

  ASSERT_TRUE(superd.WaitForLog("^warning: stubborn: pid " + held.pid + " timed out after"))
      << superd.Log();
  // The child keeps the default SIGTERM and goes at once.
  EXPECT_TRUE(WaitProcessGone(std::stoi(held.child)));
  EXPECT_TRUE(superd.WaitForLog("^warning: stubborn: pid " + held.pid +
                                ": process group still there 2s after the timeout; SIGKILL$"))
      << superd.Log();
  const auto killed = superd.WaitForLog("^info: stubborn: pid " + held.pid +
                                        " killed by signal 9 \\(SIGKILL\\) after ([0-9.]+)s$");
  ASSERT_TRUE(killed) << superd.Log();
  EXPECT_GE(Seconds(killed), 3.0) << "killed before timeout + 2 s";
  const auto order = LinesMatching(superd, "stubborn: pid " + held.pid + ": process group still");
  const auto exits = LinesMatching(superd, "stubborn: pid " + held.pid + " killed by signal 9");
  ASSERT_EQ(order.size(), 1u);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_LT(order[0], exits[0]);
  EXPECT_EQ(superd.CountLog("killed by signal 15"), 0u) << superd.Log();
  const ReadResult r = ReadAll(held.fd.get());
  EXPECT_TRUE(r.eof) << "the client was not let go";
  EXPECT_EQ(WaitOrphan(std::stoi(held.child)), "SIGTERM");
}

// --- rlimits and keepalive --------------------------------------------------

// Two contract services, "with" (the `extra` keys) and "without".
class ContractPair : public ::testing::Test {
 protected:
  void StartWith(const std::string& extra) {
    with_ = PickPort();
    without_ = PickPort();
    superd_.WriteTable(
        "services:\n" +
        ServiceEntry("with", "127.0.0.1:" + Str(with_), HelperBinary("contract"), extra) +
        ServiceEntry("without", "127.0.0.1:" + Str(without_), HelperBinary("contract")));
    ASSERT_TRUE(superd_.Start());
  }

  Report Ask(uint16_t port) {
    Fd c = ConnectTcp("127.0.0.1", port);
    if (!c) return {};
    const ReadResult r = ReadAll(c.get());
    EXPECT_TRUE(r.eof);
    return ParseReport(r.data);
  }

  Superd superd_;
  uint16_t with_ = 0, without_ = 0;
};

class Rlimits : public ContractPair {};

// glibc types prlimit's resource as an enum of its own.
using Resource = decltype(RLIMIT_AS);

std::string LimitOf(pid_t pid, Resource resource) {
  rlimit r{};
  if (prlimit(pid, resource, nullptr, &r) != 0) return "?";
  auto text = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : Str(v); };
  return text(r.rlim_cur) + "/" + text(r.rlim_max);
}

TEST_F(Rlimits, AreTheProgramsSoftAndHardLimits) {
  StartWith(
      "    rlimits:\n"
      "      as: 1G\n"
      "      cpu: 7s\n"
      "      data: 512M\n"
      "      fsize: 10M\n"
      "      nofile: 100\n"
      "      nproc: 200\n"
      "      core: 0\n");
  Report report = Ask(with_);
  EXPECT_EQ(report["limit.as"], "1073741824/1073741824");
  EXPECT_EQ(report["limit.cpu"], "7/7");
  EXPECT_EQ(report["limit.data"], "536870912/536870912");
  EXPECT_EQ(report["limit.fsize"], "10485760/10485760");
  EXPECT_EQ(report["limit.nofile"], "100/100");
  EXPECT_EQ(report["limit.nproc"], "200/200");
  EXPECT_EQ(report["limit.core"], "0/0");
  // superd's own are unchanged.
  EXPECT_EQ(LimitOf(superd_.pid(), RLIMIT_CPU), LimitOf(getpid(), RLIMIT_CPU));
}

TEST_F(Rlimits, WithoutTheKeyTheProgramHasSuperdsLimits) {
  StartWith("    rlimits: {core: 0}\n");
  Report report = Ask(without_);
  const struct {
    const char* name;
    Resource resource;
  } kLimits[] = {{"as", RLIMIT_AS},       {"cpu", RLIMIT_CPU},     {"data", RLIMIT_DATA},
                 {"fsize", RLIMIT_FSIZE}, {"nproc", RLIMIT_NPROC}, {"core", RLIMIT_CORE}};
  for (const auto& l : kLimits)
    EXPECT_EQ(report["limit." + std::string(l.name)], LimitOf(superd_.pid(), l.resource))
        << l.name;
}

class Keepalive : public ContractPair {};

TEST_F(Keepalive, IsSetOnTheProgramsConnectionOnlyWithTheKey) {
  StartWith("    keepalive: true\n");
  EXPECT_EQ(Ask(with_)["keepalive"], "1");
  EXPECT_EQ(Ask(without_)["keepalive"], "0");
}

// --- a looping wait program -------------------------------------------------

// /bin/false as a udp wait service never reads the datagram that starts it:
// without protection superd would start it again and again. The default
// rate_limit of wait services (50/1s, pause 10s) makes that a burst, one
// warning, and a pause; fixed by a reload, the service heals by itself.
TEST(WaitLoop, LoopingUdpProgramIsHeldBackAndHealsAfterAFix) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("loop", "127.0.0.1:" + Str(port), "/bin/false",
                                 "    protocol: udp\n"));
  ASSERT_TRUE(superd.Start());
  Fd client = UdpSocket("127.0.0.1", port);
  ASSERT_TRUE(client);
  const auto sent = Clock::now();
  ASSERT_EQ(send(client.get(), "ping-1", 6, 0), 6);

  const std::string warning =
      "^warning: loop: rate_limit \\(50 per 1\\.000s\\) reached; not accepting for [0-9.]+s$";
  ASSERT_TRUE(superd.WaitForLog(warning)) << superd.Log();
  const auto burst_time = Clock::now() - sent;  // at least as long as the burst
  const std::string started = "^info: loop: started pid";
  const size_t burst = superd.CountLog(started);
  // 50 tokens, plus those that came back (one per 20 ms) while the burst ran:
  // a handful (51 on an idle machine), where the loop unchecked would start
  // hundreds a second. The bound follows the burst's length, not a speed.
  EXPECT_GE(burst, 50u);
  EXPECT_LE(burst, 50u + static_cast<size_t>(burst_time / 20ms) + 1) << superd.Log();
  // Resting: nothing more is started while the pause lasts.
  auto stats = Stats(superd, "loop");
  EXPECT_EQ(stats["state"], "rate-limited");
  EXPECT_EQ(stats["rate_limit_pauses"], "1");
  EXPECT_EQ(stats["spawned"], Str(static_cast<long>(superd.CountLog(started))));
  EXPECT_EQ(superd.CountLog(started), burst) << superd.Log();

  // The fix: a working program on the same socket.
  superd.WriteTable("services:\n" +
                    ServiceEntry("loop", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                 "    protocol: udp\n"));
  kill(superd.pid(), SIGHUP);
  ASSERT_TRUE(superd.WaitForLog("^info: superd: reloaded")) << superd.Log();
  ASSERT_EQ(send(client.get(), "ping-2", 6, 0), 6);
  // Once the pause is over (10 s after it began), echo answers the datagram
  // that was waiting all along, then the new one.
  EXPECT_EQ(ReceiveDatagram(client.get(), 15s).value_or("<nothing>"), "ping-1") << superd.Log();
  EXPECT_EQ(ReceiveDatagram(client.get()).value_or("<nothing>"), "ping-2");
  const std::string resumed = "^info: loop: rate_limit pause over; accepting again$";
  EXPECT_TRUE(superd.WaitForLog(resumed));
  EXPECT_EQ(superd.CountLog(resumed), 1u) << superd.Log();
  EXPECT_EQ(superd.CountLog(warning), 1u) << superd.Log();
  stats = Stats(superd, "loop");
  EXPECT_EQ(stats["rate_limit_pauses"], "1");
  EXPECT_EQ(stats["running"], "1");
}

}  // namespace
}  // namespace e2e
