// The sample services, each over TCP and UDP, checked against its RFC:
// echo (862), discard (863), chargen (864), daytime (867), time (868).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <random>

#include "harness.hpp"

namespace e2e {
namespace {

// Seconds between 1900-01-01 and 1970-01-01 (RFC 868).
constexpr uint64_t kEpoch1900 = 2208988800ULL;

// One superd serving every sample service on one port per service, TCP and
// UDP on the same port number.
class SampleServices : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string table = "services:\n";
    for (const char* name : {"echo", "daytime", "chargen", "discard", "time"}) {
      port_[name] = PickPort();
      const std::map<std::string, std::string> vars = {
          {"NAME", name},
          {"PORT", std::to_string(port_[name])},
          {"PROGRAM", ServiceBinary(name)}};
      table += Subst(
          "  ${NAME}:\n"
          "    listen: \"127.0.0.1:${PORT}\"\n"
          "    program: ${PROGRAM}\n"
          "  ${NAME}-udp:\n"
          "    listen: \"127.0.0.1:${PORT}\"\n"
          "    protocol: udp\n"
          "    program: ${PROGRAM}\n",
          vars);
    }
    superd_.WriteTable(table);
    ASSERT_TRUE(superd_.Start());
  }

  Superd superd_;
  std::map<std::string, uint16_t> port_;
};

// The 95 printable characters of RFC 864, 0x20..0x7E.
char Printable(int i) { return static_cast<char>(0x20 + ((i % 95) + 95) % 95); }

// Checks `data` (whole lines) against the chargen pattern: each line 72
// consecutive printable characters plus CRLF, each line starting one
// character after the previous one.
::testing::AssertionResult IsChargenLines(const std::string& data, size_t lines) {
  constexpr size_t kLine = 74;
  if (data.size() < lines * kLine)
    return ::testing::AssertionFailure() << "only " << data.size() << " bytes";
  const int first = data[0] - 0x20;
  for (size_t l = 0; l < lines; ++l) {
    for (size_t c = 0; c < 72; ++c) {
      const char want = Printable(first + static_cast<int>(l + c));
      const char got = data[l * kLine + c];
      if (got != want)
        return ::testing::AssertionFailure()
               << "line " << l << " column " << c << ": got '" << got << "' (0x" << std::hex
               << (int)(unsigned char)got << "), want '" << want << "'; line: "
               << data.substr(l * kLine, kLine);
    }
    if (data.compare(l * kLine + 72, 2, "\r\n") != 0)
      return ::testing::AssertionFailure() << "line " << l << " does not end in CRLF";
  }
  return ::testing::AssertionSuccess();
}

TEST_F(SampleServices, EchoTcpReturnsOneMebibyteOfBinaryByteForByte) {
  const std::string payload = RandomBytes(1 << 20, 862);
  Fd c = ConnectTcp("127.0.0.1", port_["echo"]);
  ASSERT_TRUE(c);
  const uint16_t client_port = LocalPort(c.get());
  const ReadResult r = Exchange(c.get(), payload, 30s);
  EXPECT_TRUE(r.eof) << "no end of input; timed out: " << r.timed_out;
  ASSERT_EQ(r.data.size(), payload.size());
  EXPECT_TRUE(r.data == payload) << "echoed bytes differ";
  const auto pid = superd_.WaitForLog("^info: echo: connection from 127\\.0\\.0\\.1:" +
                                      std::to_string(client_port) + ", pid ([0-9]+)$");
  ASSERT_TRUE(pid) << "no connection line";
  EXPECT_TRUE(superd_.WaitForLog("^info: echo: pid " + (*pid)[1] + " exited with status 0 after"));
}

TEST_F(SampleServices, EchoUdpAnswersEachDatagramFromOneInstance) {
  Fd u = UdpSocket("127.0.0.1", port_["echo"]);
  ASSERT_TRUE(u);
  for (int i = 0; i < 3; ++i) {
    const std::string payload = RandomBytes(1000 + i, 100 + i);
    ASSERT_EQ(send(u.get(), payload.data(), payload.size(), 0),
              static_cast<ssize_t>(payload.size()));
    const auto answer = ReceiveDatagram(u.get());
    ASSERT_TRUE(answer) << "no answer to datagram " << i;
    EXPECT_TRUE(*answer == payload) << "datagram " << i << " not echoed exactly";
  }
  // A udp service is a wait service: one instance got the socket and answered all three.
  EXPECT_EQ(superd_.CountLog("^info: echo-udp: started pid [0-9]+$"), 1u) << superd_.Log();
}

TEST_F(SampleServices, DaytimeTcpSendsOneCrlfLineWithTheYearAndCloses) {
  Fd c = ConnectTcp("127.0.0.1", port_["daytime"]);
  ASSERT_TRUE(c);
  const ReadResult r = ReadAll(c.get());
  ASSERT_TRUE(r.eof) << "daytime did not close the connection";
  ASSERT_GE(r.data.size(), 3u);
  EXPECT_EQ(r.data.substr(r.data.size() - 2), "\r\n");
  EXPECT_EQ(r.data.find('\n'), r.data.size() - 1) << "more than one line: " << r.data;
  for (char ch : r.data.substr(0, r.data.size() - 2))
    EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << "unprintable byte in " << r.data;
  const time_t now = time(nullptr);
  tm utc{}, local{};
  gmtime_r(&now, &utc);
  localtime_r(&now, &local);
  const std::string y1 = std::to_string(utc.tm_year + 1900), y2 = std::to_string(local.tm_year + 1900);
  EXPECT_TRUE(r.data.find(y1) != std::string::npos || r.data.find(y2) != std::string::npos)
      << "no current year in: " << r.data;
}

TEST_F(SampleServices, DaytimeUdpAnswersWithOneCrlfLine) {
  Fd u = UdpSocket("127.0.0.1", port_["daytime"]);
  ASSERT_TRUE(u);
  ASSERT_EQ(send(u.get(), "?", 1, 0), 1);
  const auto answer = ReceiveDatagram(u.get());
  ASSERT_TRUE(answer) << "no answer";
  ASSERT_GE(answer->size(), 3u);
  EXPECT_EQ(answer->substr(answer->size() - 2), "\r\n");
  EXPECT_EQ(answer->find('\n'), answer->size() - 1) << *answer;
}

TEST_F(SampleServices, ChargenTcpSendsRotatingLinesAndEndsWhenTheClientLeaves) {
  Fd c = ConnectTcp("127.0.0.1", port_["chargen"]);
  ASSERT_TRUE(c);
  const uint16_t client_port = LocalPort(c.get());
  // More than one full turn of the 95 characters.
  constexpr size_t kLines = 200;
  const ReadResult r = ReadAtLeast(c.get(), kLines * 74);
  ASSERT_FALSE(r.eof) << "chargen stopped after " << r.data.size() << " bytes";
  EXPECT_TRUE(IsChargenLines(r.data, kLines));
  const auto pid = superd_.WaitForLog("^info: chargen: connection from 127\\.0\\.0\\.1:" +
                                      std::to_string(client_port) + ", pid ([0-9]+)$");
  ASSERT_TRUE(pid);
  c.Reset();
  EXPECT_TRUE(superd_.WaitForLog("^info: chargen: pid " + (*pid)[1] + " (exited|killed)"))
      << "chargen kept running after the client left";
}

TEST_F(SampleServices, ChargenUdpAnswersWithAtMost512CharactersOfThePattern) {
  Fd u = UdpSocket("127.0.0.1", port_["chargen"]);
  ASSERT_TRUE(u);
  ASSERT_EQ(send(u.get(), "x", 1, 0), 1);
  const auto answer = ReceiveDatagram(u.get());
  ASSERT_TRUE(answer) << "no answer";
  EXPECT_LE(answer->size(), 512u);
  // Between line ends, each character follows the previous one in the rotation.
  size_t run = 0;
  for (size_t i = 0; i < answer->size(); ++i) {
    const char ch = (*answer)[i];
    if (ch == '\r' || ch == '\n') {
      run = 0;
      continue;
    }
    ASSERT_TRUE(ch >= 0x20 && ch < 0x7f) << "byte " << i << " unprintable";
    if (run > 0) {
      ASSERT_EQ(ch, Printable((*answer)[i - 1] - 0x20 + 1)) << "byte " << i << " breaks the rotation";
    }
    ++run;
    ASSERT_LE(run, 72u) << "line longer than 72 characters";
  }
}

TEST_F(SampleServices, DiscardTcpReadsEverythingAndAnswersNothing) {
  Fd c = ConnectTcp("127.0.0.1", port_["discard"]);
  ASSERT_TRUE(c);
  const uint16_t client_port = LocalPort(c.get());
  const ReadResult r = Exchange(c.get(), RandomBytes(256 << 10, 863));
  EXPECT_TRUE(r.eof) << "discard did not close after end of input";
  EXPECT_EQ(r.data.size(), 0u);
  const auto pid = superd_.WaitForLog("^info: discard: connection from 127\\.0\\.0\\.1:" +
                                      std::to_string(client_port) + ", pid ([0-9]+)$");
  ASSERT_TRUE(pid);
  EXPECT_TRUE(superd_.WaitForLog("^info: discard: pid " + (*pid)[1] + " exited with status 0"));
}

TEST_F(SampleServices, DiscardUdpAnswersNothing) {
  Fd u = UdpSocket("127.0.0.1", port_["discard"]);
  ASSERT_TRUE(u);
  ASSERT_EQ(send(u.get(), "drop me", 7, 0), 7);
  // The datagram reached a program...
  EXPECT_TRUE(superd_.WaitForLog("^info: discard-udp: started pid [0-9]+$"));
  // ...which said nothing back.
  EXPECT_FALSE(ReceiveDatagram(u.get(), 500ms));
}

uint32_t BigEndian32(const std::string& b) {
  return (uint32_t(uint8_t(b[0])) << 24) | (uint32_t(uint8_t(b[1])) << 16) |
         (uint32_t(uint8_t(b[2])) << 8) | uint32_t(uint8_t(b[3]));
}

// Within a minute of now, in RFC 868's 32-bit seconds since 1900.
::testing::AssertionResult NearNow(uint32_t rfc868) {
  const auto now = static_cast<uint32_t>((uint64_t(time(nullptr)) + kEpoch1900) & 0xffffffffu);
  const auto diff = static_cast<int32_t>(rfc868 - now);
  if (diff >= -60 && diff <= 60) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << rfc868 << " is " << diff << " s from now (" << now << ")";
}

TEST_F(SampleServices, TimeTcpSendsFourBytesOfSecondsSince1900AndCloses) {
  Fd c = ConnectTcp("127.0.0.1", port_["time"]);
  ASSERT_TRUE(c);
  const ReadResult r = ReadAll(c.get());
  EXPECT_TRUE(r.eof);
  ASSERT_EQ(r.data.size(), 4u);
  EXPECT_TRUE(NearNow(BigEndian32(r.data)));
}

TEST_F(SampleServices, TimeUdpAnswersAnEmptyDatagramWithFourBytes) {
  Fd u = UdpSocket("127.0.0.1", port_["time"]);
  ASSERT_TRUE(u);
  ASSERT_EQ(send(u.get(), "", 0, 0), 0);
  const auto answer = ReceiveDatagram(u.get());
  ASSERT_TRUE(answer) << "no answer";
  ASSERT_EQ(answer->size(), 4u);
  EXPECT_TRUE(NearNow(BigEndian32(*answer)));
}

// --- clients that send garbage, nothing, or leave at once -------------------------

// Balanced: every "connection from" line of `service` has its exit line.
bool EveryInstanceEnded(const Superd& superd, const std::string& service) {
  const auto started = superd.CountLog("^info: " + service + ": connection from ");
  return superd.WaitForLogCount("^info: " + service + ": pid [0-9]+ (exited|killed)", started);
}

TEST_F(SampleServices, ClientsThatResetLeaveOrSayNothingDisturbNothing) {
  // Fifty clients that reset their connection at once (before or just after
  // superd accepts it) and fifty that close it without a word.
  for (int i = 0; i < 50; ++i) {
    Fd c = ConnectTcp("127.0.0.1", port_["echo"]);
    const linger reset{1, 0};
    ASSERT_EQ(setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  }
  for (int i = 0; i < 50; ++i) ConnectTcp("127.0.0.1", port_["daytime"]);
  // One that connects and says nothing holds its own instance, and only that.
  Fd silent = ConnectTcp("127.0.0.1", port_["echo"]);
  ASSERT_TRUE(silent);
  Fd other = ConnectTcp("127.0.0.1", port_["echo"]);
  EXPECT_EQ(Exchange(other.get(), "still served\n").data, "still served\n");
  Fd day = ConnectTcp("127.0.0.1", port_["daytime"]);
  EXPECT_NE(ReadAll(day.get()).data.find("\r\n"), std::string::npos);
  EXPECT_FALSE(Readable(silent.get(), 100ms)) << "the silent client was answered or closed";
  silent.Reset();
  EXPECT_TRUE(EveryInstanceEnded(superd_, "echo")) << superd_.Log();
  EXPECT_TRUE(EveryInstanceEnded(superd_, "daytime")) << superd_.Log();
  EXPECT_EQ(superd_.CountLog("^(warning|error): "), 0u) << superd_.Log();
}

TEST_F(SampleServices, GarbageToServicesThatDoNotReadStillGetsTheAnswer) {
  // RFC 867 and 868: whatever the client sends is thrown away, and the
  // answer still ends with a clean close, not a reset.
  for (const char* name : {"daytime", "time"}) {
    Fd c = ConnectTcp("127.0.0.1", port_[name]);
    ASSERT_TRUE(SendAll(c.get(), RandomBytes(100000, 7)));
    const ReadResult r = ReadAll(c.get());
    EXPECT_TRUE(r.eof && !r.reset) << name << ": the answer did not end cleanly";
    EXPECT_EQ(r.data.size(), std::string(name) == "time" ? 4u : r.data.find("\r\n") + 2) << name;
  }
  // Garbage datagrams get the same answers as any other.
  Fd u = UdpSocket("127.0.0.1", port_["time"]);
  const std::string junk = RandomBytes(1000, 8);
  ASSERT_EQ(send(u.get(), junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
  const auto answer = ReceiveDatagram(u.get());
  ASSERT_TRUE(answer) << "no answer to a garbage datagram";
  EXPECT_EQ(answer->size(), 4u);
  EXPECT_EQ(superd_.CountLog("^(warning|error): "), 0u) << superd_.Log();
}

TEST_F(SampleServices, EchoUdpAnswersTheEmptyAndTheLargestDatagram) {
  Fd u = UdpSocket("127.0.0.1", port_["echo"]);
  ASSERT_TRUE(u);
  const int big = 1 << 20;
  ASSERT_EQ(setsockopt(u.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big), 0);
  for (const std::string& payload : {std::string(), RandomBytes(65507, 9)}) {
    ASSERT_EQ(send(u.get(), payload.data(), payload.size(), 0),
              static_cast<ssize_t>(payload.size()));
    const auto answer = ReceiveDatagram(u.get());
    ASSERT_TRUE(answer) << "no answer to " << payload.size() << " bytes";
    EXPECT_TRUE(*answer == payload) << payload.size() << " bytes not echoed exactly";
  }
}

// --- udp sources a sample service must not answer (CVE-1999-0103) --------------

// The services that answer a datagram; discard never does.
const char* const kAnswering[] = {"echo", "chargen", "daytime", "time"};

// A udp socket bound to ip:port, for sending from a chosen source port;
// port 0 lets the kernel choose. errno is kept when it is empty.
Fd UdpBound(const std::string& ip, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len;
  if (!FillInet(ip, port, &ss, &len)) return Fd();
  Fd fd(socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd && bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    fd.Reset();
    errno = err;
  }
  return fd;
}

// A udp socket on ip and a free privileged port (below 1024) drawn at random;
// empty, with the reason in *why, when none can be bound (not root, all taken).
Fd UdpFromPrivilegedPort(const std::string& ip, std::string* why) {
  std::mt19937 rng(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr)));
  std::uniform_int_distribution<int> dist(600, 1023);
  for (int attempt = 0; attempt < 100; ++attempt) {
    Fd fd = UdpBound(ip, static_cast<uint16_t>(dist(rng)));
    if (fd) return fd;
    *why = std::string("unable to bind a privileged udp port on ") + ip + ": " +
           std::strerror(errno);
    if (errno != EADDRINUSE) break;
  }
  return Fd();
}

// Sends `data` from `fd` to ip:port.
bool SendTo(int fd, const std::string& ip, uint16_t port, std::string_view data) {
  sockaddr_storage ss;
  socklen_t len;
  return FillInet(ip, port, &ss, &len) &&
         sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) ==
             static_cast<ssize_t>(data.size());
}

// The source port of the next datagram waiting on `fd` within `wait`, if any.
std::optional<uint16_t> AnsweredBy(int fd, std::chrono::milliseconds wait) {
  if (!Readable(fd, wait)) return std::nullopt;
  char buf[65536];
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  if (recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len) < 0)
    return std::nullopt;
  return from.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&from)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&from)->sin_port);
}

// A datagram from an ordinary client of ip:port is answered. A service takes
// its datagrams in order from one socket, so once this answer is back, every
// datagram sent to it before has been dealt with.
::testing::AssertionResult StillAnswers(const std::string& ip, uint16_t port) {
  Fd u = UdpSocket(ip, port);
  if (!u || send(u.get(), "ok?", 3, 0) != 3)
    return ::testing::AssertionFailure() << "unable to send to " << ip << ":" << port;
  if (!ReceiveDatagram(u.get()))
    return ::testing::AssertionFailure() << "no answer to an ordinary client at " << ip << ":"
                                         << port;
  return ::testing::AssertionSuccess();
}

TEST_F(SampleServices, UdpServicesDoNotAnswerPrivilegedSourcePortsOrNfs) {
  // Answering a privileged port is how two of these services are set talking
  // to each other for ever (echo <-> chargen, CVE-1999-0103); answering 2049
  // hands an NFS server bytes of the sender's choice from our privileged port.
  // OpenBSD inetd's dg_badinput refuses both.
  std::string why;
  Fd privileged = UdpFromPrivilegedPort("127.0.0.1", &why);
  if (!privileged) GTEST_SKIP() << why;
  std::vector<std::pair<std::string, Fd>> senders;
  senders.emplace_back("privileged port " + std::to_string(LocalPort(privileged.get())),
                       std::move(privileged));
  // 2049 may be held by an NFS server or by this test in another build: then
  // only the privileged port is checked.
  if (Fd nfs = UdpBound("127.0.0.1", 2049))
    senders.emplace_back("port 2049 (NFS)", std::move(nfs));
  else
    std::cout << "[ NOTE ] port 2049 not checked: " << std::strerror(errno) << "\n";

  for (const auto& [from, fd] : senders)
    for (const char* name : kAnswering)
      ASSERT_TRUE(SendTo(fd.get(), "127.0.0.1", port_[name], "reflect me")) << name;
  for (const char* name : kAnswering) EXPECT_TRUE(StillAnswers("127.0.0.1", port_[name])) << name;
  std::map<uint16_t, std::string> service_at;
  for (const char* name : kAnswering) service_at[port_[name]] = name;
  for (const auto& [from, fd] : senders)
    while (const auto port = AnsweredBy(fd.get(), 200ms))
      ADD_FAILURE() << "udp " << service_at[*port] << " answered a datagram from " << from;
  // Dropping a datagram is not a reason to stop: one instance served them all.
  for (const char* name : kAnswering)
    EXPECT_EQ(superd_.CountLog(std::string("^info: ") + name + "-udp: started pid"), 1u) << name;
}

// One UDP datagram from 127.0.0.1 port 0 to 127.0.0.1:port, through a raw
// socket (a normal socket never sends from port 0); the checksum is left out
// (zero), as IPv4 allows. errno is kept on failure.
bool SendFromPortZero(int raw, uint16_t port, std::string_view payload) {
  std::string datagram(8, '\0');
  const uint16_t dst = htons(port), length = htons(static_cast<uint16_t>(8 + payload.size()));
  std::memcpy(&datagram[2], &dst, 2);
  std::memcpy(&datagram[4], &length, 2);
  datagram += payload;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sendto(raw, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to),
                sizeof to) == static_cast<ssize_t>(datagram.size());
}

TEST_F(SampleServices, UdpServicesOutliveADatagramFromSourcePortZero) {
  // Port 0 means "no reply expected" (RFC 768), and sendto() to port 0 fails
  // with EINVAL: a service that answers it anyway must not die of it.
  Fd raw(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!raw) GTEST_SKIP() << "no raw socket to send from port 0: " << std::strerror(errno);
  for (const char* name : kAnswering)
    ASSERT_TRUE(SendFromPortZero(raw.get(), port_[name], "from nowhere"))
        << name << ": " << std::strerror(errno);
  raw.Reset();
  for (const char* name : kAnswering) EXPECT_TRUE(StillAnswers("127.0.0.1", port_[name])) << name;
  // The instance that got the datagram from port 0 is the one that answered.
  for (const char* name : kAnswering) {
    const std::string service = std::string(name) + "-udp";
    EXPECT_EQ(superd_.CountLog("^info: " + service + ": started pid"), 1u) << name;
    EXPECT_FALSE(superd_.WaitForLog("^info: " + service + ": pid [0-9]+ (exited|killed)", 100ms))
        << name << " ended";
  }
}

// The same rule for IPv6 sources, and for IPv4 sources that a dual-stack
// socket reports as IPv4-mapped IPv6 addresses (::ffff:127.0.0.1).
TEST(SampleServicesDualStack, UdpEchoDoesNotAnswerPrivilegedPortsOverIpv6OrIpv4Mapped) {
  const bool v6 = HaveIpv6Loopback();
  const uint16_t dual = PickPort(), only6 = PickPort();
  Superd superd;
  std::string table = Subst(
      "services:\n"
      "  echo-dual:\n"
      "    listen: \"*:${DUAL}\"\n"
      "    protocol: udp\n"
      "    program: ${PROGRAM}\n",
      {{"DUAL", std::to_string(dual)}, {"PROGRAM", ServiceBinary("echo")}});
  if (v6)
    table += Subst(
        "  echo-v6:\n"
        "    listen: \"[::1]:${ONLY6}\"\n"
        "    protocol: udp\n"
        "    program: ${PROGRAM}\n",
        {{"ONLY6", std::to_string(only6)}, {"PROGRAM", ServiceBinary("echo")}});
  superd.WriteTable(table);
  ASSERT_TRUE(superd.Start());

  std::string why;
  Fd from4 = UdpFromPrivilegedPort("127.0.0.1", &why);
  if (!from4) GTEST_SKIP() << why;
  ASSERT_TRUE(SendTo(from4.get(), "127.0.0.1", dual, "reflect me"));
  EXPECT_TRUE(StillAnswers("127.0.0.1", dual));
  EXPECT_FALSE(AnsweredBy(from4.get(), 200ms)) << "an IPv4 privileged port was answered";
  if (!v6) {
    std::cout << "[ NOTE ] no IPv6 loopback: only IPv4 sources checked\n";
    return;
  }
  Fd from6 = UdpFromPrivilegedPort("::1", &why);
  ASSERT_TRUE(from6) << why;
  for (const uint16_t port : {dual, only6}) {
    ASSERT_TRUE(SendTo(from6.get(), "::1", port, "reflect me"));
    EXPECT_TRUE(StillAnswers("::1", port));
    EXPECT_FALSE(AnsweredBy(from6.get(), 200ms))
        << "an IPv6 privileged port was answered on port " << port;
  }
  EXPECT_EQ(superd.CountLog("^info: echo-(dual|v6): pid [0-9]+ (exited|killed)"), 0u);
}

}  // namespace
}  // namespace e2e
