// What a program is given (SPEC "What a program is given"), asserted with
// superd-test-contract, which reports its environment, descriptors, signal
// state, session, credentials, umask, working directory and nice value.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "harness.hpp"

namespace e2e {
namespace {

// SUPERD_E2E_BALLAST=N runs the same tests against a large superd: N more
// services on UNIX sockets, enough descriptors for the spawner to share its
// descriptor table with each child instead of copying it (spawner.hpp), and
// a resident heap of kBallastHeapMiB, the size at which copying page tables
// (fork) would cost and sharing them (clone with CLONE_VM) does not.
constexpr int kBallastHeapMiB = 128;

int BallastSockets() {
  const char* n = std::getenv("SUPERD_E2E_BALLAST");
  return n != nullptr ? std::atoi(n) : 0;
}

class Contract : public ::testing::Test {
 protected:
  // A table with one contract service "contract" on a fresh port; `extra`
  // holds more keys of that service, each line indented by four spaces.
  void StartWith(const std::string& extra, const StartOptions& options = {}) {
    port_ = PickPort();
    superd_.WriteTable(
        "services:\n" +
        ServiceEntry("contract", "127.0.0.1:" + std::to_string(port_),
                     // run as another user: where that user can reach it
                     extra.find("user:") != std::string::npos
                         ? superd_.CopyForOtherUsers(HelperBinary("contract"))
                         : HelperBinary("contract"),
                     extra) +
        (BallastSockets() > 0
             ? BallastServices(superd_.dir(), BallastSockets(), kBallastHeapMiB)
             : ""));
    ASSERT_TRUE(superd_.Start(options));
    if (BallastSockets() > 0) {
      ASSERT_GE(ResidentMiB(superd_.pid()), size_t{kBallastHeapMiB}) << "the ballast is not resident";
    }
  }

  // Connects, reads the report to its end.
  Report Ask() {
    Fd c = ConnectTcp("127.0.0.1", port_);
    if (!c) return {};
    client_port_ = LocalPort(c.get());
    const ReadResult r = ReadAll(c.get());
    EXPECT_TRUE(r.eof) << "the report did not end";
    raw_ = r.data;
    return ParseReport(r.data);
  }

  Superd superd_;
  uint16_t port_ = 0;
  uint16_t client_port_ = 0;
  std::string raw_;
};

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? buf : path;
}

TEST_F(Contract, TcpEnvironmentIsExactlyTheSpecifiedOne) {
  StartWith("", Hostile());
  const Report report = Ask();
  ASSERT_FALSE(report.empty()) << raw_;
  const std::string cport = std::to_string(client_port_);
  const std::map<std::string, std::string> want = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"SUPERD_SERVICE", "contract"},
      {"PROTO", "TCP"},
      {"TCPREMOTEIP", "127.0.0.1"},
      {"TCPREMOTEPORT", cport},
      {"TCPLOCALIP", "127.0.0.1"},
      {"TCPLOCALPORT", std::to_string(port_)},
      {"REMOTE_ADDR", "127.0.0.1"},
      {"REMOTE_PORT", cport},
      {"REMOTE_HOST", "127.0.0.1"},
  };
  // Nothing of superd's own environment (SUPERD_E2E_MUST_NOT_LEAK, HOME, ...).
  EXPECT_EQ(EnvOf(report), want);
}

TEST_F(Contract, ServiceEnvAddsAndOverridesVariables) {
  StartWith(
      "    env:\n"
      "      PATH: /opt/custom/bin\n"
      "      PROTO: overridden\n"
      "      GREETING: \"hello, world = 1\"\n"
      "      EMPTY: \"\"\n");
  const auto env = EnvOf(Ask());
  EXPECT_EQ(env.count("PATH") ? env.at("PATH") : "<unset>", "/opt/custom/bin");
  EXPECT_EQ(env.count("PROTO") ? env.at("PROTO") : "<unset>", "overridden");
  EXPECT_EQ(env.count("GREETING") ? env.at("GREETING") : "<unset>", "hello, world = 1");
  EXPECT_EQ(env.count("EMPTY") ? env.at("EMPTY") : "<unset>", "");
  // The rest stays.
  EXPECT_EQ(env.count("TCPLOCALPORT") ? env.at("TCPLOCALPORT") : "<unset>", std::to_string(port_));
  EXPECT_EQ(env.count("SUPERD_SERVICE") ? env.at("SUPERD_SERVICE") : "<unset>", "contract");
  EXPECT_EQ(env.size(), 12u) << raw_;
}

TEST_F(Contract, ArgvIsTheProgramThenArgs) {
  StartWith("    args: [\"one\", \"two words\", \"\"]\n");
  const Report report = Ask();
  EXPECT_EQ(report.count("argc") ? report.at("argc") : "", "4") << raw_;
  EXPECT_EQ(report.count("argv.0") ? report.at("argv.0") : "", HelperBinary("contract"));
  EXPECT_EQ(report.count("argv.1") ? report.at("argv.1") : "", "one");
  EXPECT_EQ(report.count("argv.2") ? report.at("argv.2") : "", "two words");
  EXPECT_EQ(report.count("argv.3") ? report.at("argv.3") : "<missing>", "");
}

// `argv0`: what a tcpd chain needs (inetd.conf's field 7); the program
// run is still `program`.
TEST_F(Contract, Argv0FromTheTable) {
  StartWith("    argv0: in.contract\n    args: [\"one\"]\n");
  const Report report = Ask();
  EXPECT_EQ(report.count("argc") ? report.at("argc") : "", "2") << raw_;
  EXPECT_EQ(report.count("argv.0") ? report.at("argv.0") : "", "in.contract");
  EXPECT_EQ(report.count("argv.1") ? report.at("argv.1") : "", "one");
}

TEST_F(Contract, OnlyDescriptorsZeroOneTwoAndBothAreTheConnection) {
  StartWith("", Hostile());
  Report report = Ask();
  EXPECT_EQ(report["fds"], "0,1,2") << raw_;
  EXPECT_EQ(report["fd0.type"], "stream");
  EXPECT_EQ(report["fd.0"].rfind("socket:", 0), 0u) << report["fd.0"];
  EXPECT_EQ(report["fd.0"], report["fd.1"]);
  // Blocking, as a program reading stdin expects.
  EXPECT_EQ(report["fl.0"], "blocking");
  EXPECT_EQ(report["fl.2"], "blocking");
  // A second connection after the first: still nothing else (no descriptor of
  // an earlier connection or spawn lingers).
  report = Ask();
  EXPECT_EQ(report["fds"], "0,1,2") << raw_;
}

TEST_F(Contract, NoDescriptorInheritedBySuperdReachesTheProgram) {
  // superd itself was started with fd 9 open and not close-on-exec.
  StartWith("", LeakingFd(9));
  Report report = Ask();
  EXPECT_EQ(report["fds"], "0,1,2") << raw_;
}

TEST_F(Contract, SignalDispositionsAreDefaultAndTheMaskIsEmpty) {
  // superd was started with SIGPIPE, SIGUSR2 and SIGQUIT ignored and SIGUSR2
  // and SIGWINCH blocked; and superd handles signals of its own.
  StartWith("", Hostile());
  Report report = Ask();
  EXPECT_EQ(report["sigblk"], "0000000000000000") << "blocked signals";
  EXPECT_EQ(report["sigign"], "0000000000000000") << "ignored signals";
  EXPECT_EQ(report["sigcgt"], "0000000000000000") << "caught signals";
}

TEST_F(Contract, ProgramLeadsItsOwnSessionAndProcessGroup) {
  StartWith("");
  Report report = Ask();
  ASSERT_FALSE(report["pid"].empty()) << raw_;
  EXPECT_EQ(report["sid"], report["pid"]);
  EXPECT_EQ(report["pgid"], report["pid"]);
  EXPECT_NE(report["sid"], std::to_string(getsid(superd_.pid())));
}

TEST_F(Contract, UmaskIs022ByDefaultNotSuperdsOwn) {
  StartWith("", Hostile());  // superd runs with umask 077
  EXPECT_EQ(Ask()["umask"], "0022");
}

TEST_F(Contract, UmaskFromTheTable) {
  StartWith("    umask: \"027\"\n", Hostile());
  EXPECT_EQ(Ask()["umask"], "0027");
}

TEST_F(Contract, WorkingDirectoryIsRootByDefaultNotSuperdsOwn) {
  StartWith("", Hostile());  // superd runs in its test directory
  EXPECT_EQ(Ask()["cwd"], "/");
}

TEST_F(Contract, WorkingDirectoryFromTheTable) {
  const std::string dir = superd_.dir() + "/work";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  StartWith("    working_directory: " + dir + "\n");
  EXPECT_EQ(Ask()["cwd"], RealPath(dir));
}

TEST_F(Contract, NiceIsZeroByDefault) {
  StartWith("");
  EXPECT_EQ(Ask()["nice"], "0");
}

TEST_F(Contract, NiceFromTheTable) {
  StartWith("    nice: 7\n");
  EXPECT_EQ(Ask()["nice"], "7");
}

TEST_F(Contract, StderrInheritIsSuperdsStderr) {
  StartWith("    args: [\"--stderr\", \"inherited-marker\"]\n");
  Report report = Ask();
  EXPECT_EQ(report["fd.2"], RealPath(superd_.log_path()));
  EXPECT_TRUE(superd_.WaitForLog("^stderr=inherited-marker$")) << "marker not in superd's stderr";
  EXPECT_EQ(raw_.find("stderr=inherited-marker"), std::string::npos) << "marker reached the client";
}

TEST_F(Contract, StderrNullIsDevNull) {
  StartWith(
      "    stderr: \"null\"\n"
      "    args: [\"--stderr\", \"null-marker\"]\n");
  Report report = Ask();
  EXPECT_EQ(report["fd.2"], "/dev/null");
  EXPECT_EQ(superd_.CountLog("stderr=null-marker"), 0u);
  EXPECT_EQ(raw_.find("stderr=null-marker"), std::string::npos);
}

// The spec spells the value `null`; written plainly, YAML reads it as a null
// node, and a user copying the spec writes it that way.
TEST_F(Contract, StderrNullWrittenPlainlyIsDevNull) {
  StartWith("    stderr: null\n");
  EXPECT_EQ(Ask()["fd.2"], "/dev/null") << raw_;
}

TEST_F(Contract, StderrSocketIsTheConnection) {
  StartWith(
      "    stderr: socket\n"
      "    args: [\"--stderr\", \"socket-marker\"]\n");
  Report report = Ask();
  EXPECT_EQ(report["fd.2"], report["fd.0"]);
  EXPECT_NE(raw_.find("stderr=socket-marker\n"), std::string::npos) << raw_;
  EXPECT_EQ(superd_.CountLog("stderr=socket-marker"), 0u);
}

// `sndbuf` and `rcvbuf` are set on the listening socket; the connection a
// program gets inherits them.
TEST_F(Contract, SocketBufferSizesFromTheTable) {
  StartWith("    sndbuf: 48k\n    rcvbuf: 96K\n");
  Report report = Ask();
  EXPECT_EQ(report["sndbuf"], KernelBufferSize(48 * 1024, false)) << raw_;
  EXPECT_EQ(report["rcvbuf"], KernelBufferSize(96 * 1024, true)) << raw_;
}

TEST_F(Contract, UserAndItsGroupsFromTheTable) {
  if (geteuid() != 0) GTEST_SKIP() << "running a service as another user needs root";
  const passwd* pw = getpwnam("nobody");
  if (pw == nullptr) GTEST_SKIP() << "no user nobody on this machine";
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  std::vector<gid_t> groups(256);
  int ngroups = static_cast<int>(groups.size());
  ASSERT_GE(getgrouplist("nobody", gid, groups.data(), &ngroups), 0);
  groups.resize(static_cast<size_t>(ngroups));
  std::sort(groups.begin(), groups.end());
  std::string want_groups;
  for (gid_t g : groups) want_groups += (want_groups.empty() ? "" : ",") + std::to_string(g);

  StartWith("    user: nobody\n");
  Report report = Ask();
  EXPECT_EQ(report["uid"], std::to_string(uid)) << raw_;
  EXPECT_EQ(report["euid"], std::to_string(uid));
  EXPECT_EQ(report["gid"], std::to_string(gid));
  EXPECT_EQ(report["egid"], std::to_string(gid));
  // From the group database, not root's.
  EXPECT_EQ(report["groups"], want_groups);
}

TEST_F(Contract, NumericUidAndGroupFromTheTable) {
  if (geteuid() != 0) GTEST_SKIP() << "running a service as another user needs root";
  const group* gr = getgrnam("nogroup");
  if (gr == nullptr) GTEST_SKIP() << "no group nogroup on this machine";
  const gid_t gid = gr->gr_gid;
  StartWith("    user: 65534\n    group: nogroup\n");
  Report report = Ask();
  EXPECT_EQ(report["uid"], "65534") << raw_;
  EXPECT_EQ(report["euid"], "65534");
  EXPECT_EQ(report["gid"], std::to_string(gid));
  EXPECT_EQ(report["egid"], std::to_string(gid));
}

TEST_F(Contract, UdpServiceHasNoPerConnectionVariables) {
  port_ = PickPort();
  superd_.WriteTable(Subst(
      "services:\n"
      "  contract:\n"
      "    listen: \"127.0.0.1:${PORT}\"\n"
      "    protocol: udp\n"
      "    program: ${PROGRAM}\n"
      "    sndbuf: 40k\n"
      "    rcvbuf: 80k\n",
      {{"PORT", std::to_string(port_)}, {"PROGRAM", HelperBinary("contract")}}));
  ASSERT_TRUE(superd_.Start(Hostile()));
  Fd u = UdpSocket("127.0.0.1", port_);
  ASSERT_TRUE(u);
  ASSERT_EQ(send(u.get(), "?", 1, 0), 1);
  const auto answer = ReceiveDatagram(u.get());
  ASSERT_TRUE(answer) << "no answer";
  Report report = ParseReport(*answer);
  const std::map<std::string, std::string> want = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"SUPERD_SERVICE", "contract"},
      {"PROTO", "UDP"},
  };
  EXPECT_EQ(EnvOf(report), want);
  EXPECT_EQ(report["fd0.type"], "dgram");
  // The socket itself, with the table's buffer sizes.
  EXPECT_EQ(report["sndbuf"], KernelBufferSize(40 * 1024, false)) << *answer;
  EXPECT_EQ(report["rcvbuf"], KernelBufferSize(80 * 1024, true)) << *answer;
  EXPECT_EQ(report["fl.0"], "blocking");
  EXPECT_EQ(report["fds"], "0,1,2");
  EXPECT_EQ(report["sid"], report["pid"]);
  EXPECT_EQ(report["sigign"], "0000000000000000");
  EXPECT_EQ(report["sigblk"], "0000000000000000");
}

}  // namespace
}  // namespace e2e
