// IPv6 (`[::1]:PORT`) and the listen forms that cover both families
// (`*:PORT`, bare `PORT`, a list of addresses).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "harness.hpp"

namespace e2e {
namespace {

class Ipv6 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveIpv6Loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  }

  void StartWith(const std::string& listen, const std::string& program,
                 const std::string& extra = "") {
    superd_.WriteTable(Subst(
        "services:\n"
        "  svc:\n"
        "    listen: ${LISTEN}\n"
        "    program: ${PROGRAM}\n" + extra,
        {{"LISTEN", listen}, {"PROGRAM", program}}));
    ASSERT_TRUE(superd_.Start());
  }

  Report AskContract(const std::string& ip, uint16_t port, uint16_t* client_port = nullptr) {
    Fd c = ConnectTcp(ip, port);
    if (!c) return {};
    if (client_port != nullptr) *client_port = LocalPort(c.get());
    const ReadResult r = ReadAll(c.get());
    EXPECT_TRUE(r.eof);
    return ParseReport(r.data);
  }

  // `*:PORT`, bare `PORT` and an address list cover both families; an IPv4
  // client is shown as IPv4, not as an IPv4-mapped IPv6 address.
  void ExpectBothFamilies(uint16_t port) {
    const auto env4 = EnvOf(AskContract("127.0.0.1", port));
    const auto env6 = EnvOf(AskContract("::1", port));
    auto get = [](const std::map<std::string, std::string>& env, const char* name) {
      return env.count(name) ? env.at(name) : "<unset>";
    };
    EXPECT_EQ(get(env4, "TCPREMOTEIP"), "127.0.0.1");
    EXPECT_EQ(get(env4, "TCPLOCALIP"), "127.0.0.1");
    EXPECT_EQ(get(env4, "REMOTE_ADDR"), "127.0.0.1");
    EXPECT_EQ(get(env6, "TCPREMOTEIP"), "::1");
    EXPECT_EQ(get(env6, "TCPLOCALIP"), "::1");
    EXPECT_TRUE(superd_.WaitForLog("^info: svc: connection from 127\\.0\\.0\\.1:[0-9]+, pid"));
    EXPECT_TRUE(superd_.WaitForLog("^info: svc: connection from \\[::1\\]:[0-9]+, pid"));
  }

  Superd superd_;
};

TEST_F(Ipv6, EchoOnLoopbackV6AndTheConnectionLoggedInBrackets) {
  const uint16_t port = PickPort();
  StartWith("\"[::1]:" + std::to_string(port) + "\"", ServiceBinary("echo"));
  Fd c = ConnectTcp("::1", port);
  ASSERT_TRUE(c);
  const uint16_t client_port = LocalPort(c.get());
  const std::string payload = RandomBytes(64 << 10, 6);
  const ReadResult r = Exchange(c.get(), payload);
  EXPECT_TRUE(r.eof);
  EXPECT_TRUE(r.data == payload);
  EXPECT_TRUE(superd_.WaitForLog("^info: svc: connection from \\[::1\\]:" +
                                 std::to_string(client_port) + ", pid [0-9]+$"));
}

TEST_F(Ipv6, ProgramSeesV6AddressesWithoutBrackets) {
  const uint16_t port = PickPort();
  StartWith("\"[::1]:" + std::to_string(port) + "\"", HelperBinary("contract"));
  uint16_t client_port = 0;
  const auto env = EnvOf(AskContract("::1", port, &client_port));
  const std::map<std::string, std::string> want = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"SUPERD_SERVICE", "svc"},
      {"PROTO", "TCP"},
      {"TCPREMOTEIP", "::1"},
      {"TCPREMOTEPORT", std::to_string(client_port)},
      {"TCPLOCALIP", "::1"},
      {"TCPLOCALPORT", std::to_string(port)},
      {"REMOTE_ADDR", "::1"},
      {"REMOTE_PORT", std::to_string(client_port)},
      {"REMOTE_HOST", "::1"},
  };
  EXPECT_EQ(env, want);
}

TEST_F(Ipv6, UdpEchoOnLoopbackV6) {
  const uint16_t port = PickPort();
  StartWith("\"[::1]:" + std::to_string(port) + "\"", ServiceBinary("echo"),
            "    protocol: udp\n");
  Fd u = UdpSocket("::1", port);
  ASSERT_TRUE(u);
  const std::string payload = RandomBytes(1200, 66);
  ASSERT_EQ(send(u.get(), payload.data(), payload.size(), 0), static_cast<ssize_t>(payload.size()));
  const auto answer = ReceiveDatagram(u.get());
  ASSERT_TRUE(answer) << "no answer";
  EXPECT_TRUE(*answer == payload);
}

TEST_F(Ipv6, WildcardListensOnBothFamilies) {
  const uint16_t port = PickPort();
  StartWith("\"*:" + std::to_string(port) + "\"", HelperBinary("contract"));
  ExpectBothFamilies(port);
}

TEST_F(Ipv6, BarePortListensOnBothFamilies) {
  const uint16_t port = PickPort();
  StartWith(std::to_string(port), HelperBinary("contract"));  // a YAML integer
  ExpectBothFamilies(port);
}

TEST_F(Ipv6, ListOfAddressesServesEach) {
  const uint16_t port = PickPort();
  StartWith("[\"127.0.0.1:" + std::to_string(port) + "\", \"[::1]:" + std::to_string(port) + "\"]",
            HelperBinary("contract"));
  ExpectBothFamilies(port);
}

}  // namespace
}  // namespace e2e
