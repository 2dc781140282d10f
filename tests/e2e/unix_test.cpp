// UNIX stream services (`listen: unix:/PATH`): the UCSPI IPC variables from
// SO_PEERCRED, and a stale socket file from an earlier run replaced.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "harness.hpp"

namespace e2e {
namespace {

std::string UnixTable(const std::string& name, const std::string& path, const std::string& program) {
  return "services:\n" + ServiceEntry(name, "unix:" + path, program);
}

TEST(Unix, ProgramSeesProtoIpcAndThePeersCredentials) {
  Superd superd;
  const std::string path = superd.dir() + "/contract.sock";
  superd.WriteTable(UnixTable("contract", path, HelperBinary("contract")));
  ASSERT_TRUE(superd.Start());
  Fd c = ConnectUnix(path);
  ASSERT_TRUE(c);
  const ReadResult r = ReadAll(c.get());
  EXPECT_TRUE(r.eof);
  Report report = ParseReport(r.data);
  const std::map<std::string, std::string> want = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"SUPERD_SERVICE", "contract"},
      {"PROTO", "IPC"},
      {"IPCREMOTEEUID", std::to_string(geteuid())},
      {"IPCREMOTEEGID", std::to_string(getegid())},
  };
  EXPECT_EQ(EnvOf(report), want) << r.data;
  EXPECT_EQ(report["fds"], "0,1,2");
  EXPECT_EQ(report["fd0.type"], "stream");
  EXPECT_TRUE(superd.WaitForLog("^info: contract: connection from uid " +
                                std::to_string(geteuid()) + " gid " + std::to_string(getegid()) +
                                ", pid " + report["pid"] + "$"));
}

TEST(Unix, EchoOverAUnixSocketIsByteExact) {
  Superd superd;
  const std::string path = superd.dir() + "/echo.sock";
  superd.WriteTable(UnixTable("echo", path, ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  const std::string payload = RandomBytes(256 << 10, 7);
  Fd c = ConnectUnix(path);
  ASSERT_TRUE(c);
  const ReadResult r = Exchange(c.get(), payload);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.data.size(), payload.size());
  EXPECT_TRUE(r.data == payload);
}

TEST(Unix, StaleSocketFileFromAnEarlierRunIsReplaced) {
  Superd superd;
  const std::string path = superd.dir() + "/stale.sock";
  {
    // A socket file nobody listens on any more, as a crashed run leaves it.
    Fd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  ASSERT_TRUE(S_ISSOCK(st.st_mode));

  superd.WriteTable(UnixTable("echo", path, ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  Fd c = ConnectUnix(path);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "fresh\n").data, "fresh\n");
}

TEST(Unix, SocketInUseByAnotherServerIsNotStolen) {
  Superd superd;
  const std::string path = superd.dir() + "/busy.sock";
  Fd holder(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(bind(holder.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(holder.get(), 4), 0);

  superd.WriteTable(UnixTable("echo", path, ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start(NoWaitReady()));
  const auto status = superd.WaitExit();
  ASSERT_TRUE(status) << "superd took over a socket another server listens on";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << DescribeStatus(*status);
  EXPECT_EQ(superd.CountLog("^error: echo: unable to bind unix:" + path), 1u);
  // The other server still owns it.
  Fd c = ConnectUnix(path);
  ASSERT_TRUE(c);
}

TEST(Unix, DatagramServiceAnswersEachDatagram) {
  Superd superd;
  const std::string path = superd.dir() + "/echo-dgram.sock";
  superd.WriteTable(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: \"unix:${PATH}\"\n"
      "    protocol: udp\n"
      "    program: ${PROGRAM}\n",
      {{"PATH", path}, {"PROGRAM", ServiceBinary("echo")}}));
  ASSERT_TRUE(superd.Start());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));

  // The client needs an address of its own for the answer.
  Fd u(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un self{}, server{};
  self.sun_family = server.sun_family = AF_UNIX;
  std::strncpy(self.sun_path, (superd.dir() + "/client.sock").c_str(), sizeof self.sun_path - 1);
  std::strncpy(server.sun_path, path.c_str(), sizeof server.sun_path - 1);
  ASSERT_EQ(bind(u.get(), reinterpret_cast<sockaddr*>(&self), sizeof self), 0);
  ASSERT_EQ(connect(u.get(), reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  for (int i = 0; i < 2; ++i) {
    const std::string payload = RandomBytes(300, 40 + i);
    ASSERT_EQ(send(u.get(), payload.data(), payload.size(), 0), static_cast<ssize_t>(payload.size()));
    const auto answer = ReceiveDatagram(u.get());
    ASSERT_TRUE(answer) << "no answer to datagram " << i;
    EXPECT_TRUE(*answer == payload);
  }
  EXPECT_EQ(superd.CountLog("^info: echo: started pid [0-9]+$"), 1u);
}

}  // namespace
}  // namespace e2e
