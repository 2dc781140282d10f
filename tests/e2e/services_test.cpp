// The sample services, each over TCP and UDP, checked against its RFC:
// echo (862), discard (863), chargen (864), daytime (867), time (868).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <ctime>

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

}  // namespace
}  // namespace e2e
