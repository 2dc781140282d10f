#include "spawn_plan.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace superd {
namespace {

SocketAddress Inet(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  if (inet_pton(AF_INET, ip, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr)) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    return SocketAddress(reinterpret_cast<sockaddr*>(&ss), sizeof *in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  EXPECT_EQ(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1) << ip;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  return SocketAddress(reinterpret_cast<sockaddr*>(&ss), sizeof *in6);
}

Service Echo() {
  Service s;
  s.name = "echo";
  s.program = "/bin/cat";
  s.args = {"-u", "two words"};
  return s;
}

Connection Tcp(const char* remote_ip, uint16_t remote_port) {
  Connection c;
  c.socktype = SOCK_STREAM;
  c.local = Inet("127.0.0.1", 7);
  c.remote = Inet(remote_ip, remote_port);
  return c;
}

// envp as sorted "NAME=value" strings.
std::vector<std::string> Env(const SpawnPlan& plan) {
  std::vector<std::string> out;
  for (char* const* e = plan.envp(); *e != nullptr; ++e) out.push_back(*e);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(SpawnPlan, ArgvIsProgramThenArgs) {
  SpawnPlan plan(Echo());
  EXPECT_STREQ(plan.program(), "/bin/cat");
  char* const* argv = plan.argv();
  ASSERT_NE(argv[0], nullptr);
  EXPECT_STREQ(argv[0], "/bin/cat");
  ASSERT_NE(argv[1], nullptr);
  EXPECT_STREQ(argv[1], "-u");
  ASSERT_NE(argv[2], nullptr);
  EXPECT_STREQ(argv[2], "two words");
  EXPECT_EQ(argv[3], nullptr);
}

// `argv0` (inetd.conf's field 7, tcpd chains): the program still is
// `program`.
TEST(SpawnPlan, Argv0ReplacesTheProgramInArgvOnly) {
  Service s = Echo();
  s.argv0 = "in.echo";
  SpawnPlan plan(s);
  EXPECT_STREQ(plan.program(), "/bin/cat");
  EXPECT_STREQ(plan.argv()[0], "in.echo");
  EXPECT_STREQ(plan.argv()[1], "-u");
  EXPECT_STREQ(plan.argv()[2], "two words");
  EXPECT_EQ(plan.argv()[3], nullptr);
}

TEST(SpawnPlan, ArgvWithoutArgsIsJustTheProgram) {
  Service s = Echo();
  s.args.clear();
  SpawnPlan plan(s);
  EXPECT_STREQ(plan.argv()[0], "/bin/cat");
  EXPECT_EQ(plan.argv()[1], nullptr);
}

TEST(SpawnPlan, TcpConnectionEnvironmentIsExactlyTheUcspiSet) {
  SpawnPlan plan(Echo());
  plan.SetConnection(Tcp("192.0.2.9", 40000));
  EXPECT_EQ(Env(plan), Sorted({
                           "PATH=/usr/local/bin:/usr/bin:/bin",
                           "SUPERD_SERVICE=echo",
                           "PROTO=TCP",
                           "TCPREMOTEIP=192.0.2.9",
                           "TCPREMOTEPORT=40000",
                           "TCPLOCALIP=127.0.0.1",
                           "TCPLOCALPORT=7",
                           "REMOTE_ADDR=192.0.2.9",
                           "REMOTE_PORT=40000",
                           "REMOTE_HOST=192.0.2.9",
                       }));
}

TEST(SpawnPlan, Ipv6AddressesHaveNoBracketsAndMappedOnesAreIpv4) {
  SpawnPlan plan(Echo());
  Connection c = Tcp("2001:db8::9", 5555);
  c.local = Inet("::1", 7);
  plan.SetConnection(c);
  std::vector<std::string> env = Env(plan);
  EXPECT_NE(std::find(env.begin(), env.end(), "TCPREMOTEIP=2001:db8::9"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "TCPLOCALIP=::1"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "REMOTE_ADDR=2001:db8::9"), env.end());

  c = Tcp("::ffff:192.0.2.10", 5556);
  c.local = Inet("::ffff:127.0.0.1", 7);
  plan.SetConnection(c);
  env = Env(plan);
  EXPECT_NE(std::find(env.begin(), env.end(), "TCPREMOTEIP=192.0.2.10"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "TCPLOCALIP=127.0.0.1"), env.end());
}

TEST(SpawnPlan, UnixConnectionHasIpcVariablesAndNoTcpOnes) {
  SpawnPlan plan(Echo());
  Connection c;
  c.socktype = SOCK_STREAM;
  c.local = SocketAddress::Unix("/run/x.sock");
  c.peer_uid = 1000;
  c.peer_gid = 100;
  plan.SetConnection(c);
  EXPECT_EQ(Env(plan), Sorted({
                           "PATH=/usr/local/bin:/usr/bin:/bin",
                           "SUPERD_SERVICE=echo",
                           "PROTO=IPC",
                           "IPCREMOTEEUID=1000",
                           "IPCREMOTEEGID=100",
                       }));
}

TEST(SpawnPlan, WaitServicesGetOnlyProto) {
  SpawnPlan plan(Echo());
  Connection c;
  c.wait = true;
  c.socktype = SOCK_STREAM;
  c.local = Inet("127.0.0.1", 7);
  plan.SetConnection(c);
  EXPECT_EQ(Env(plan), Sorted({"PATH=/usr/local/bin:/usr/bin:/bin",
                               "SUPERD_SERVICE=echo", "PROTO=TCP"}));
  c.socktype = SOCK_DGRAM;
  plan.SetConnection(c);
  EXPECT_EQ(Env(plan), Sorted({"PATH=/usr/local/bin:/usr/bin:/bin",
                               "SUPERD_SERVICE=echo", "PROTO=UDP"}));
}

TEST(SpawnPlan, ServiceEnvOverridesWithoutDuplicates) {
  Service s = Echo();
  s.env = {{"PATH", "/opt/echo/bin"},
           {"TCPREMOTEIP", "overridden"},
           {"LANG", "C.UTF-8"}};
  SpawnPlan plan(s);
  plan.SetConnection(Tcp("192.0.2.9", 40000));
  const std::vector<std::string> env = Env(plan);
  std::map<std::string, int> names;
  for (const std::string& e : env) ++names[e.substr(0, e.find('='))];
  for (const auto& [name, count] : names) EXPECT_EQ(count, 1) << name;
  EXPECT_EQ(env, Sorted({
                     "PATH=/opt/echo/bin",
                     "SUPERD_SERVICE=echo",
                     "LANG=C.UTF-8",
                     "PROTO=TCP",
                     "TCPREMOTEIP=overridden",
                     "TCPREMOTEPORT=40000",
                     "TCPLOCALIP=127.0.0.1",
                     "TCPLOCALPORT=7",
                     "REMOTE_ADDR=192.0.2.9",
                     "REMOTE_PORT=40000",
                     "REMOTE_HOST=192.0.2.9",
                 }));
}

TEST(SpawnPlan, ServiceEnvMayOverrideSuperdService) {
  Service s = Echo();
  s.env = {{"SUPERD_SERVICE", "renamed"}};
  SpawnPlan plan(s);
  plan.SetConnection(Tcp("192.0.2.9", 1));
  const std::vector<std::string> env = Env(plan);
  EXPECT_EQ(std::count(env.begin(), env.end(), "SUPERD_SERVICE=renamed"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "SUPERD_SERVICE=echo"), 0);
}

TEST(SpawnPlan, ANewConnectionReplacesThePreviousVariables) {
  SpawnPlan plan(Echo());
  plan.SetConnection(Tcp("192.0.2.9", 40000));
  plan.SetConnection(Tcp("198.51.100.1", 1234));
  EXPECT_EQ(Env(plan), Sorted({
                           "PATH=/usr/local/bin:/usr/bin:/bin",
                           "SUPERD_SERVICE=echo",
                           "PROTO=TCP",
                           "TCPREMOTEIP=198.51.100.1",
                           "TCPREMOTEPORT=1234",
                           "TCPLOCALIP=127.0.0.1",
                           "TCPLOCALPORT=7",
                           "REMOTE_ADDR=198.51.100.1",
                           "REMOTE_PORT=1234",
                           "REMOTE_HOST=198.51.100.1",
                       }));
  // A unix connection after a TCP one leaves no TCP variable behind.
  Connection unix_conn;
  unix_conn.socktype = SOCK_STREAM;
  unix_conn.local = SocketAddress::Unix("/run/x.sock");
  unix_conn.peer_uid = 7;
  unix_conn.peer_gid = 8;
  plan.SetConnection(unix_conn);
  EXPECT_EQ(Env(plan), Sorted({"PATH=/usr/local/bin:/usr/bin:/bin",
                               "SUPERD_SERVICE=echo", "PROTO=IPC",
                               "IPCREMOTEEUID=7", "IPCREMOTEEGID=8"}));
}

TEST(SpawnPlan, CarriesTheChildSettings) {
  Service s = Echo();
  s.nice = 7;
  s.umask = 077;
  s.working_directory = "/tmp";
  s.stderr_mode = StderrMode::kSocket;
  SpawnPlan plan(s);
  EXPECT_EQ(plan.nice(), 7);
  EXPECT_EQ(plan.umask(), 077u);
  EXPECT_STREQ(plan.working_directory(), "/tmp");
  EXPECT_EQ(plan.stderr_mode(), StderrMode::kSocket);
  EXPECT_EQ(plan.credentials(), nullptr) << "no user or group: superd's own";
}

TEST(SpawnPlan, CredentialsOfAnotherUserAreApplied) {
  Service s = Echo();
  Credentials creds;
  creds.uid = 54321;
  creds.gid = 54322;
  creds.groups = {54322, 54323};
  s.credentials = creds;
  SpawnPlan plan(s);
  ASSERT_NE(plan.credentials(), nullptr);
  EXPECT_EQ(plan.credentials()->uid, 54321u);
  EXPECT_EQ(plan.credentials()->gid, 54322u);
  EXPECT_EQ(plan.credentials()->groups, (std::vector<gid_t>{54322, 54323}));
}

}  // namespace
}  // namespace superd
