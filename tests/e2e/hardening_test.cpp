// Faults a client, a program or a local user can cause (issue 10), one test
// per fault, named after what it protects. Each failed on the code before
// its fix.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <thread>
#include <tuple>
#include <cstring>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

// In a child running as uid/gid 65534 (nobody), binds a UDP socket with
// SO_REUSEADDR to 127.0.0.1:port, as any local user may try; the bind's
// errno (0: it got the port).
int BindAsNobody(uint16_t port) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(255);
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    _exit(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0 ? 0 : errno);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Issue 10, fault 1: with SO_REUSEADDR on superd's udp socket, a process of
// another user could bind the more specific 127.0.0.1:PORT and receive the
// clients' datagrams instead of superd's program.
TEST(LocalUser, CannotTakeOverAUdpPortOfSuperd) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a client as nobody";
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "*:" + std::to_string(port),
                                                 ServiceBinary("echo"), "    protocol: udp\n"));
  ASSERT_TRUE(superd.Start());
  EXPECT_EQ(BindAsNobody(port), EADDRINUSE) << "another user bound the port of a udp service";
  Fd client = UdpSocket("127.0.0.1", port);
  ASSERT_TRUE(client);
  ASSERT_EQ(send(client.get(), "mine", 4, 0), 4);
  EXPECT_EQ(ReceiveDatagram(client.get()).value_or("<nothing>"), "mine");
}

// A UNIX stream listener at `path` that never accepts, its backlog full:
// a connect(2) to it blocks. Holds the listener and its queued clients.
struct WedgedListener {
  Fd listener;
  std::vector<Fd> queued;
};
WedgedListener Wedge(const std::string& path) {
  WedgedListener w;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  w.listener = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(bind(w.listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(listen(w.listener.get(), 0), 0);
  for (int i = 0; i < 4; ++i) {
    Fd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    const bool queued = connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (!queued) {
      EXPECT_EQ(errno, EAGAIN) << "the backlog should be full";
      break;
    }
    w.queued.push_back(std::move(c));
  }
  return w;
}

// Issue 10, fault 2: the probe for a stale socket file was a blocking
// connect(2), which a listener with a full backlog holds forever: anyone who
// could create a socket at the path could wedge superd's start.
TEST(UnixSocketProbe, AWedgedListenerAtThePathCannotHangTheStart) {
  Superd superd;
  const std::string path = superd.dir() + "/wedged.sock";
  WedgedListener wedged = Wedge(path);
  superd.WriteTable("services:\n" + ServiceEntry("echo", "unix:" + path, ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start(NoWaitReady()));
  const auto status = superd.WaitExit();
  ASSERT_TRUE(status) << "superd hung probing the socket";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << DescribeStatus(*status);
  EXPECT_EQ(superd.CountLog("^error: echo: unable to bind unix:" + path +
                            ": another process is listening on it$"), 1u)
      << superd.Log();
}

// The same during a reload, which runs in the loop: it is abandoned, and
// superd goes on serving and stops on SIGTERM.
TEST(UnixSocketProbe, AWedgedListenerAtThePathCannotHangAReload) {
  Superd superd;
  const uint16_t port = PickPort();
  const std::string path = superd.dir() + "/wedged.sock";
  WedgedListener wedged = Wedge(path);
  const std::string echo = ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                        ServiceBinary("echo"));
  superd.WriteTable("services:\n" + echo);
  ASSERT_TRUE(superd.Start());
  superd.WriteTable("services:\n" + echo + ServiceEntry("more", "unix:" + path,
                                                       ServiceBinary("echo")));
  ASSERT_EQ(kill(superd.pid(), SIGHUP), 0);
  EXPECT_TRUE(superd.WaitForLog("^error: superd: reload abandoned")) << superd.Log();
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "still here\n").data, "still here\n");
  const auto status = superd.Stop();
  ASSERT_TRUE(status) << "superd did not stop";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeStatus(*status);
}

// Issue 10, fault 3: a reload that changes a UNIX socket's protocol binds the
// new socket first; closing the old one then removed the path, now the new
// socket's, and the service was unreachable although the log said reloaded.
TEST(UnixSocketFile, AReloadThatChangesTheProtocolKeepsTheNewSocketsFile) {
  Superd superd;
  const std::string path = superd.dir() + "/svc.sock";
  superd.WriteTable("services:\n" + ServiceEntry("echo", "unix:" + path, ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  superd.WriteTable("services:\n" + ServiceEntry("echo", "unix:" + path, ServiceBinary("echo"),
                                                "    protocol: udp\n"));
  ASSERT_EQ(kill(superd.pid(), SIGHUP), 0);
  ASSERT_TRUE(superd.WaitForLog("^info: superd: reloaded")) << superd.Log();
  // A datagram client of the new socket gets its answer.
  Fd client(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un self{}, peer{};
  self.sun_family = peer.sun_family = AF_UNIX;
  const std::string reply_path = superd.dir() + "/client.sock";
  std::strncpy(self.sun_path, reply_path.c_str(), sizeof self.sun_path - 1);
  std::strncpy(peer.sun_path, path.c_str(), sizeof peer.sun_path - 1);
  ASSERT_EQ(bind(client.get(), reinterpret_cast<sockaddr*>(&self), sizeof self), 0);
  ASSERT_EQ(sendto(client.get(), "dgram", 5, 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer), 5)
      << "the service's socket file is gone: " << strerror(errno);
  EXPECT_EQ(ReceiveDatagram(client.get()).value_or("<nothing>"), "dgram");
}

// Issue 10, fault 4: reload told sockets apart by their printed address, so
// `*:P` becoming `[::]:P` kept the dual-stack socket: IPv4 clients kept an
// access the new table no longer gives. superd binds new sockets before it
// closes old ones, so the change needs a restart, and the reload says so.
TEST(ReloadIdentity, DualStackBecomingIpv6OnlyIsNotTakenForTheSameSocket) {
  if (!HaveIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback";
  Superd superd;
  const std::string port = std::to_string(PickPort());
  superd.WriteTable("services:\n" + ServiceEntry("echo", "*:" + port, ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  superd.WriteTable("services:\n" + ServiceEntry("echo", "[::]:" + port, ServiceBinary("echo")));
  ASSERT_EQ(kill(superd.pid(), SIGHUP), 0);
  EXPECT_TRUE(superd.WaitForLog("^error: echo: \\[::\\]:" + port + " would replace \\*:" + port +
                                " on the same port, which superd closes only once the new "
                                "socket is bound; restart superd to make this change$"))
      << superd.Log();
  EXPECT_TRUE(superd.WaitForLog("^error: superd: reload abandoned")) << superd.Log();
  EXPECT_EQ(superd.CountLog("^info: superd: reloaded"), 0u) << superd.Log();
  // Nothing changed: the dual-stack socket still serves IPv4 and IPv6.
  for (const char* ip : {"127.0.0.1", "::1"}) {
    Fd c = ConnectTcp(ip, static_cast<uint16_t>(std::stoi(port)));
    ASSERT_TRUE(c) << ip;
    EXPECT_EQ(Exchange(c.get(), "x\n").data, "x\n") << ip;
  }
}

// Issue 10, fault 5: a reload loaded the table inside the loop, so a slow
// look-up (a resolver, LDAP, sssd) froze every service and SIGTERM for as
// long as it took. Here the look-up never ends: superd runs in a mount
// namespace of its own where /etc/passwd is a FIFO nobody writes, and the
// reloaded table names a user, so getpwnam(3) blocks for good.
TEST(SlowReload, ALookupThatNeverEndsStallsNeitherServicesNorTheStop) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  Superd superd;
  const std::string fifo = superd.dir() + "/passwd";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0) << strerror(errno);
  const uint16_t port = PickPort();
  const std::string echo =
      ServiceEntry("echo", "127.0.0.1:" + std::to_string(port), ServiceBinary("echo"));
  superd.WriteTable("services:\n" + echo);
  StartOptions options;
  options.wrapper = {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                     "mount --bind \"$0\" /etc/passwd && exec \"$@\"", fifo};
  ASSERT_TRUE(superd.Start(options));
  superd.WriteTable("services:\n" + echo +
                    ServiceEntry("more", "127.0.0.1:" + std::to_string(PickPort()),
                                 ServiceBinary("echo"), "    user: nobody\n"));
  ASSERT_EQ(kill(superd.pid(), SIGHUP), 0);
  ASSERT_TRUE(superd.WaitForLog("^info: superd: reloading")) << superd.Log();
  for (int i = 0; i < 3; ++i) {  // served while the reload is stuck
    Fd c = ConnectTcp("127.0.0.1", port, 5s);
    ASSERT_TRUE(c);
    EXPECT_EQ(Exchange(c.get(), "during\n", 5s).data, "during\n") << superd.Log();
  }
  EXPECT_EQ(superd.CountLog("reloaded|reload abandoned"), 0u) << superd.Log();
  const auto status = superd.Stop(SIGTERM, 5s);
  ASSERT_TRUE(status) << "SIGTERM did not stop superd during the reload";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeStatus(*status);
}

// Issue 10, fault 6: when no process could be created, superd accepted up
// to 32 connections a wake-up and closed each with a warning of its own. Now
// the socket rests and the clients behind it wait in the backlog. superd
// runs as an otherwise unused uid with RLIMIT_NPROC 2: itself and one
// instance; a copy of the binary where that uid can reach it.
TEST(FailedFork, ClientsWaitInTheBacklogWhileNoProcessCanBeCreated) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run superd as another uid";
  Superd superd;
  const std::string binary = superd.CopyForOtherUsers(SuperdBinary());
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("held", "127.0.0.1:" + std::to_string(port), "/bin/sh",
                                 "    args: [\"-c\", \"echo served; read x\"]\n"));
  StartOptions options;
  options.wrapper = {"/bin/sh", "-c",
                     "shift; exec /usr/bin/prlimit --nproc=2:2 /usr/bin/setpriv --reuid=54321 "
                     "--regid=54321 --clear-groups \"$0\" \"$@\"",
                     binary};
  options.args = {"--log-level", "debug"};  // to see the failures a warning stands for
  ASSERT_TRUE(superd.Start(options));
  Fd first = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(first);
  ASSERT_EQ(ReadUntil(first.get(), "\n").data, "served\n") << superd.Log();
  std::vector<Fd> waiting;
  for (int i = 0; i < 6; ++i) waiting.push_back(ConnectTcp("127.0.0.1", port));
  const std::string failure = "held: unable to fork: Resource temporarily unavailable; "
                              "new clients wait, trying again every 1000 ms$";
  // The first failure is a warning; the next try, a second later, fails
  // again: the same episode, at debug. Meanwhile the others wait.
  ASSERT_TRUE(superd.WaitForLog("^warning: " + failure)) << superd.Log();
  ASSERT_TRUE(superd.WaitForLog("^debug: " + failure)) << superd.Log();
  EXPECT_EQ(superd.CountLog("^warning: " + failure), 1u) << superd.Log();
  EXPECT_LE(superd.CountLog(failure), 3u) << "clients were accepted and closed one by one\n"
                                          << superd.Log();
  first.Reset();  // its instance ends: room for one process again
  ASSERT_TRUE(superd.WaitForLog("^info: held: forking again$")) << superd.Log();
  // A client that waited in the backlog is served; those accepted at a
  // failed try were closed (end of input).
  bool served = false;
  for (Fd& c : waiting) {
    if ((served = ReadUntil(c.get(), "\n").data == "served\n")) break;
  }
  EXPECT_TRUE(served) << superd.Log();
}

// Issue 10, fault 11 (a reload's settings under a wait program): a reload
// that turns a kept wait socket into a nowait one set O_NONBLOCK on the
// socket the running wait program still accepts on (they share its open
// file description), so its blocking accept(2) failed with EAGAIN. The
// new mode waits for the program to exit.
TEST(WaitSocket, AReloadToNowaitLeavesTheRunningProgramsSocketBlocking) {
  Superd superd;
  const std::string listen = "127.0.0.1:" + std::to_string(PickPort());
  const uint16_t port = static_cast<uint16_t>(std::stoi(listen.substr(10)));
  superd.WriteTable("services:\n" + ServiceEntry("svc", listen, HelperBinary("wait-accept"),
                                                "    wait: true\n"
                                                "    args: [\"--mode\", \"5000\"]\n"));
  ASSERT_TRUE(superd.Start());
  const auto ask = [&] {
    Fd c = ConnectTcp("127.0.0.1", port);
    return c ? ReadAll(c.get()).data : std::string();
  };
  const std::string first = ask();
  ASSERT_NE(first.find(" served=1 nonblock=0\n"), std::string::npos) << first;
  superd.WriteTable("services:\n" + ServiceEntry("svc", listen, ServiceBinary("echo")));
  ASSERT_EQ(kill(superd.pid(), SIGHUP), 0);
  ASSERT_TRUE(superd.WaitForLog("^info: superd: reloaded")) << superd.Log();
  // The wait program still holds the socket and accepts this one itself.
  const std::string second = ask();
  EXPECT_NE(second.find(" served=2 nonblock=0\n"), std::string::npos)
      << "the running wait program's socket changed under it: " << second;
  // Once it exits, superd accepts (nowait) and echo answers.
  ASSERT_TRUE(superd.WaitForLog("^info: svc: pid [0-9]+ exited with status 0", 15s))
      << superd.Log();
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "now nowait\n").data, "now nowait\n") << superd.Log();
}

// Issue 10, fault 11 (core dumps): a child that switches to its service's
// user while it still shares superd's memory makes that memory
// non-dumpable (the kernel's guard against ptrace by that user), and it
// stayed so: superd lost its core dumps for good. It is dumpable again once
// the child has exec'd. Seen from outside as the owner of superd's /proc
// files, root for a non-dumpable process: so superd runs as an unused uid
// with CAP_SETUID and CAP_SETGID, from a copy that uid can reach.
TEST(CoreDumps, SuperdStaysDumpableAfterAChildChangedItsUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run superd as another uid";
  Superd superd;
  const std::string binary = superd.CopyForOtherUsers(SuperdBinary());
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("other", "127.0.0.1:" + std::to_string(port), "/bin/true",
                                 "    user: \"54322\"\n    group: \"54322\"\n"));
  StartOptions options;
  options.wrapper = {"/bin/sh", "-c",
                     "shift; exec /usr/bin/setpriv --reuid=54321 --regid=54321 --clear-groups "
                     "--inh-caps=+setuid,+setgid --ambient-caps=+setuid,+setgid \"$0\" \"$@\"",
                     binary};
  ASSERT_TRUE(superd.Start(options));
  const std::string environ = "/proc/" + std::to_string(superd.pid()) + "/environ";
  const auto owner = [&] {
    struct stat st {};
    return stat(environ.c_str(), &st) == 0 ? static_cast<long>(st.st_uid) : -1L;
  };
  ASSERT_EQ(owner(), 54321) << "superd is not dumpable to begin with";
  {
    Fd c = ConnectTcp("127.0.0.1", port);
    ASSERT_TRUE(c);
    EXPECT_TRUE(ReadAll(c.get()).eof);
  }
  ASSERT_TRUE(superd.WaitForLog("^info: other: pid [0-9]+ exited with status 0 "))
      << superd.Log();
  EXPECT_EQ(owner(), 54321) << "superd stayed non-dumpable after its child changed user";
}

// Issue 10, fault 11 (stacks): the children's stacks had no guard page, so
// one that overflowed wrote silently into the neighbouring stack. Each
// stack of superd's children has an inaccessible page below it.
TEST(ChildStacks, HaveAGuardPageBelowThem) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("echo", "127.0.0.1:" + std::to_string(port), ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  {
    Fd c = ConnectTcp("127.0.0.1", port);
    ASSERT_TRUE(c);
    EXPECT_EQ(Exchange(c.get(), "x\n").data, "x\n");
  }
  // /proc/PID/maps: "start-end perms offset dev inode [path]". The slot is
  // an anonymous read-write mapping made for the child; below it, a page
  // that allows nothing, adjacent.
  std::istringstream maps(ReadFile("/proc/" + std::to_string(superd.pid()) + "/maps"));
  std::vector<std::tuple<unsigned long, unsigned long, std::string, bool>> regions;
  for (std::string line; std::getline(maps, line);) {
    unsigned long start = 0, end = 0;
    char perms[8] = {};
    if (sscanf(line.c_str(), "%lx-%lx %7s", &start, &end, perms) != 3) continue;
    const bool anonymous = line.find('/') == std::string::npos && line.find('[') == std::string::npos;
    regions.emplace_back(start, end, perms, anonymous);
  }
  int guarded = 0;
  for (size_t i = 1; i < regions.size(); ++i) {
    const auto& [gs, ge, gp, ganon] = regions[i - 1];
    const auto& [s, e, p, anon] = regions[i];
    if (ge == s && gp == "---p" && ge - gs == 4096 && p == "rw-p" && anon && ganon) ++guarded;
  }
  EXPECT_GE(guarded, 1) << "no stack with a guard page in superd's maps";
}

// A sibling of fault 5: a SIGHUP that came while the table was still
// loading at start (a large table, a slow directory), before the loop took
// the signals over, ended superd by its default action. It waits, and is a
// reload once superd is ready. The load is held as long as the test likes:
// the table names a user, and /etc/passwd is a FIFO in superd's own mount
// namespace that the test writes the real file into when it is done.
TEST(SignalsDuringStart, ASighupWhileTheTableLoadsEndsNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  Superd superd;
  const std::string fifo = superd.dir() + "/passwd";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0) << strerror(errno);
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                ServiceBinary("echo"), "    user: root\n"));
  StartOptions options = NoWaitReady();
  options.wrapper = {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                     "mount --bind \"$0\" /etc/passwd && exec \"$@\"", fifo};
  const std::string passwd = ReadFile("/etc/passwd");
  ASSERT_TRUE(superd.Start(options));
  // superd is in its table's load, waiting for the FIFO: its wchan says so.
  const std::string wchan = "/proc/" + std::to_string(superd.pid()) + "/wchan";
  bool waiting = false;
  for (int i = 0; i < 1000 && !waiting && superd.Running(); ++i) {
    waiting = ReadFile(wchan) == "wait_for_partner";  // fifo_open, for a writer
    if (!waiting) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(waiting) << "superd never waited on the FIFO: " << ReadFile(wchan);
  ASSERT_EQ(kill(superd.pid(), SIGHUP), 0);
  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  {
    Fd writer(open(fifo.c_str(), O_WRONLY | O_CLOEXEC));  // releases the load
    ASSERT_TRUE(writer);
    SendAll(writer.get(), passwd);  // getpwnam stops reading once it found root
  }
  ASSERT_TRUE(superd.WaitReady()) << "superd did not survive a SIGHUP during its load\n"
                                  << superd.Log();
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "alive\n").data, "alive\n");
}

}  // namespace
}  // namespace e2e
