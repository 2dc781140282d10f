// `proxy_protocol` and `proxy_from` (SPEC "Service keys"; issue 12 item 1),
// with headers made by hand (the HAProxy and nginx fronts have tests of
// their own): the client a header names is the one the program sees, the
// access lists check and the log names; a peer not in proxy_from is closed
// before a byte is read; a malformed, missing or stalled header closes its
// connection alone, and stalls no other; not a byte after the header is
// lost; a v2 LOCAL header (a health check) is answered without a spawn.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <string>

#include "harness.hpp"

namespace e2e {
namespace {

// The v2 signature, version 2 and `command`, family/transport `family`, then
// `addresses` (their length is the header's length field).
std::string V2(uint8_t command, uint8_t family, const std::string& addresses) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += static_cast<char>(0x20 | command);
  h += static_cast<char>(family);
  h += static_cast<char>(addresses.size() >> 8);
  h += static_cast<char>(addresses.size() & 0xff);
  return h + addresses;
}

// A v2 PROXY header for TCP over IPv6: 2001:db8::7 port 40000 to
// 2001:db8::1 port 80.
std::string V2Tcp6() {
  std::string a(36, '\0');
  a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = static_cast<char>(0xb8), a[15] = 7;
  a[16] = 0x20, a[17] = 0x01, a[18] = 0x0d, a[19] = static_cast<char>(0xb8), a[31] = 1;
  a[32] = static_cast<char>(40000 >> 8), a[33] = static_cast<char>(40000 & 0xff);
  a[34] = 0, a[35] = 80;
  return V2(1, 0x21, a);
}

class Proxy : public ::testing::Test {
 protected:
  void SetUp() override { port_ = PickPort(); }
  // One proxy_protocol service on port_ running `program`.
  void Serve(const std::string& program, const std::string& more = "",
             const std::string& proxy_from = "127.0.0.1/32") {
    superd_.WriteTable("services:\n  behind:\n    listen: \"127.0.0.1:" + Str(port_) +
                       "\"\n    program: " + program +
                       "\n    proxy_protocol: true\n    proxy_from: [\"" + proxy_from + "\"]\n" +
                       more);
    ASSERT_TRUE(superd_.Start());
  }
  // What the service answers to `header` followed by `data`, sent in one
  // segment, the write side then shut down.
  ReadResult Send(const std::string& header, const std::string& data = "") {
    Fd c = ConnectTcp("127.0.0.1", port_);
    if (!c) return {};
    return Exchange(c.get(), header + data);
  }

  Superd superd_;
  uint16_t port_ = 0;
};

TEST_F(Proxy, AV1HeadersClientIsTheOneTheProgramSeesAndTheBalancerIsPassedBeside) {
  Serve(HelperBinary("contract"));
  const Report r = ParseReport(Send("PROXY TCP4 192.0.2.7 198.51.100.1 40000 8080\r\n").data);
  EXPECT_EQ(r.at("env:TCPREMOTEIP"), "192.0.2.7");
  EXPECT_EQ(r.at("env:TCPREMOTEPORT"), "40000");
  EXPECT_EQ(r.at("env:REMOTE_ADDR"), "192.0.2.7");
  EXPECT_EQ(r.at("env:TCPLOCALIP"), "198.51.100.1");
  EXPECT_EQ(r.at("env:TCPLOCALPORT"), "8080");
  EXPECT_EQ(r.at("env:PROXY_ADDR"), "127.0.0.1");
  EXPECT_TRUE(r.count("env:PROXY_PORT"));
  EXPECT_TRUE(superd_.WaitForLog("info: behind: connection from 192\\.0\\.2\\.7:40000, pid"));
}

TEST_F(Proxy, AV2HeadersIpv6ClientIsTheOneTheProgramSees) {
  Serve(HelperBinary("contract"));
  const Report r = ParseReport(Send(V2Tcp6()).data);
  EXPECT_EQ(r.at("env:TCPREMOTEIP"), "2001:db8::7");
  EXPECT_EQ(r.at("env:TCPREMOTEPORT"), "40000");
  EXPECT_EQ(r.at("env:TCPLOCALIP"), "2001:db8::1");
}

TEST_F(Proxy, UnknownLeavesTheConnectionsOwnAddresses) {
  Serve(HelperBinary("contract"));
  const Report r = ParseReport(Send("PROXY UNKNOWN whatever\r\n").data);
  EXPECT_EQ(r.at("env:TCPREMOTEIP"), "127.0.0.1");
}

TEST_F(Proxy, EveryByteAfterTheHeaderReachesTheProgramEvenInTheSameSegment) {
  Serve("/bin/cat");
  std::string data;
  for (int i = 0; i < 2000; ++i) data += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n", data).data, data);
  EXPECT_EQ(Send(V2Tcp6(), "GET / HTTP/1.0\r\n\r\n").data, "GET / HTTP/1.0\r\n\r\n");
}

TEST_F(Proxy, APeerNotInProxyFromIsClosedBeforeAByteIsReadAndNothingIsSpawned) {
  Serve("/bin/cat", "", "127.0.0.2/32");
  const ReadResult r = Send("PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n", "hello\n");
  EXPECT_EQ(r.data, "");
  EXPECT_TRUE(r.eof);
  EXPECT_TRUE(superd_.WaitForLog(
      "warning: behind: refused connection from 127\\.0\\.0\\.1:[0-9]+: not a load balancer "
      "in proxy_from"));
  ASSERT_EQ(kill(superd_.pid(), SIGUSR1), 0);
  EXPECT_TRUE(superd_.WaitForLog("behind: .*spawned=0 refused=1 .*refused_proxy=1"));
}

TEST_F(Proxy, DenyAndAllowCheckTheHeadersClient) {
  Serve("/bin/cat", "    deny: [\"192.0.2.7/32\"]\n");
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n", "x\n").data, "");
  EXPECT_TRUE(superd_.WaitForLog(
      "refused connection from 192\\.0\\.2\\.7:40000: deny 192\\.0\\.2\\.7/32"));
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.8 198.51.100.1 40000 80\r\n", "x\n").data, "x\n");
}

TEST_F(Proxy, AMalformedHeaderClosesItsConnectionSayingWhy) {
  Serve("/bin/cat");
  EXPECT_EQ(Send("GET / HTTP/1.0\r\n\r\n").data, "");
  EXPECT_TRUE(superd_.WaitForLog("refused connection from 127\\.0\\.0\\.1:[0-9]+: .*PROXY"));
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.7 198.51.100.1 99999 80\r\n", "x\n").data, "");
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.7 198.51.100.1 1 80\r\n", "x\n").data, "x\n");
}

TEST_F(Proxy, AStalledHalfHeaderDelaysNoOtherConnectionAndIsClosedAfterItsDeadline) {
  Serve("/bin/cat");
  Fd stalled = ConnectTcp("127.0.0.1", port_);
  ASSERT_TRUE(SendAll(stalled.get(), "PROXY TCP4 192.0.2."));
  // Served while the other waits: the loop is not blocked on it.
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.8 198.51.100.1 40000 80\r\n", "x\n").data, "x\n");
  EXPECT_FALSE(Readable(stalled.get(), 1s)) << "closed long before its deadline";
  const ReadResult r = ReadAll(stalled.get(), 10s);
  EXPECT_TRUE(r.eof && r.data.empty());
  EXPECT_TRUE(superd_.WaitForLog("refused connection from 127\\.0\\.0\\.1:[0-9]+: no PROXY "
                                 "header within 5s"));
}

TEST_F(Proxy, HalfSentHeadersHoldAtMostMaxInstancesAndOtherServicesAreUntouched) {
  const uint16_t other = PickPort();
  Serve("/bin/cat", "    max_instances: 2\n  other:\n    listen: \"127.0.0.1:" + Str(other) +
                        "\"\n    program: /bin/cat\n");
  Fd a = ConnectTcp("127.0.0.1", port_), b = ConnectTcp("127.0.0.1", port_);
  ASSERT_TRUE(SendAll(a.get(), "PROXY TCP4 "));
  ASSERT_TRUE(SendAll(b.get(), "PROXY TCP4 "));
  ASSERT_TRUE(superd_.WaitForLog("info: behind: max_instances \\(2\\) reached"));
  // A third client waits in the backlog (not refused) ...
  Fd third = ConnectTcp("127.0.0.1", port_);
  ASSERT_TRUE(SendAll(third.get(), "PROXY TCP4 192.0.2.9 198.51.100.1 1 80\r\nthird\n"));
  shutdown(third.get(), SHUT_WR);
  EXPECT_FALSE(Readable(third.get(), 500ms));
  // ... while another service is served at once ...
  Fd o = ConnectTcp("127.0.0.1", other);
  EXPECT_EQ(Exchange(o.get(), "other\n").data, "other\n");
  // ... and is served once a half-sent header gives up.
  a.Reset();
  EXPECT_EQ(ReadAll(third.get(), 10s).data, "third\n");
}

TEST_F(Proxy, AV2LocalHealthCheckIsAnsweredWithoutASpawn) {
  Serve("/bin/cat");
  for (int i = 0; i < 3; ++i) {
    const ReadResult r = Send(V2(0, 0x00, ""), "");
    EXPECT_TRUE(r.eof && r.data.empty());
  }
  ASSERT_EQ(kill(superd_.pid(), SIGUSR1), 0);
  EXPECT_TRUE(superd_.WaitForLog("behind: .*spawned=0 refused=0 .*health_checks=3"));
  EXPECT_EQ(Send("PROXY TCP4 192.0.2.8 198.51.100.1 40000 80\r\n", "x\n").data, "x\n");
}

}  // namespace
}  // namespace e2e
