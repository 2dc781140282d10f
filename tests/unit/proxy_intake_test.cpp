// ReadProxyHeader and ProxyIntake on socket pairs: the header is taken to
// its last byte and never past it, however it comes.
#include "proxy_intake.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace superd {
namespace {

// A connection: `server` is superd's end, `client` the balancer's.
struct Pair {
  Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server = UniqueFd(fds[0]);
    client = UniqueFd(fds[1]);
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(client.get(), bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  // What is left for the program.
  std::string Rest() {
    char buffer[256];
    const ssize_t n = recv(server.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }
  UniqueFd server, client;
};

const std::string kV1 = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 13\r\n";

TEST(ReadProxyHeader, AWholeHeaderIsTakenAndTheDataAfterItLeft) {
  Pair p;
  p.Send(kV1 + "first bytes");
  std::string got;
  const auto parse = ReadProxyHeader(p.server.get(), got);
  ASSERT_TRUE(parse.has_value());
  ASSERT_EQ(parse->status, ProxyStatus::kComplete);
  EXPECT_EQ(parse->header.source.ToString(), "192.0.2.7:40000");
  EXPECT_EQ(p.Rest(), "first bytes");
}

TEST(ReadProxyHeader, NothingYetIsAWaitWithNothingTaken) {
  Pair p;
  std::string got;
  EXPECT_FALSE(ReadProxyHeader(p.server.get(), got).has_value());
  EXPECT_EQ(got, "");
}

TEST(ReadProxyHeader, AHeaderInPiecesIsTakenPieceByPiece) {
  Pair p;
  std::string got;
  p.Send(kV1.substr(0, 10));
  EXPECT_FALSE(ReadProxyHeader(p.server.get(), got).has_value());
  EXPECT_EQ(got, kV1.substr(0, 10));
  p.Send(kV1.substr(10, 20));
  EXPECT_FALSE(ReadProxyHeader(p.server.get(), got).has_value());
  EXPECT_EQ(got, kV1.substr(0, 30));
  p.Send(kV1.substr(30) + "data");
  const auto parse = ReadProxyHeader(p.server.get(), got);
  ASSERT_TRUE(parse.has_value());
  EXPECT_EQ(parse->status, ProxyStatus::kComplete);
  EXPECT_EQ(p.Rest(), "data");
}

TEST(ReadProxyHeader, APeerGoneBeforeTheEndSaysSo) {
  Pair p;
  p.Send(kV1.substr(0, 10));
  p.client.Reset();
  std::string got;
  EXPECT_FALSE(ReadProxyHeader(p.server.get(), got).has_value());
  const auto parse = ReadProxyHeader(p.server.get(), got);
  ASSERT_TRUE(parse.has_value());
  EXPECT_EQ(parse->status, ProxyStatus::kInvalid);
  EXPECT_EQ(parse->error, "closed before the end of its PROXY header");
}

TEST(ReadProxyHeader, AMalformedHeaderIsInvalidWithItsReason) {
  Pair p;
  p.Send("GET / HTTP/1.0\r\n\r\n");
  std::string got;
  const auto parse = ReadProxyHeader(p.server.get(), got);
  ASSERT_TRUE(parse.has_value());
  EXPECT_EQ(parse->status, ProxyStatus::kInvalid);
  EXPECT_FALSE(parse->error.empty());
}

TEST(ProxyIntake, TheRestOfAHeaderComesThroughTheLoop) {
  EventLoop loop;
  ProxyIntake intake(loop);
  Pair p;
  p.Send(kV1.substr(0, 20));
  std::string got;
  ASSERT_FALSE(ReadProxyHeader(p.server.get(), got).has_value());
  const int server = p.server.get();
  std::optional<ProxyParse> result;
  UniqueFd back;
  intake.Add(std::move(p.server), std::move(got), [&](UniqueFd fd, const ProxyParse& parse) {
    back = std::move(fd);
    result = parse;
  });
  EXPECT_EQ(intake.size(), 1u);
  p.Send(kV1.substr(20) + "after");
  loop.RunOnce();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, ProxyStatus::kComplete);
  EXPECT_EQ(back.get(), server);
  EXPECT_EQ(intake.size(), 0u);
  p.server = std::move(back);
  EXPECT_EQ(p.Rest(), "after");
}

TEST(ProxyIntake, ClearClosesTheWaitingWithoutCallingThem) {
  EventLoop loop;
  ProxyIntake intake(loop);
  Pair p;
  bool called = false;
  intake.Add(std::move(p.server), "", [&](UniqueFd, const ProxyParse&) { called = true; });
  intake.Clear();
  EXPECT_EQ(intake.size(), 0u);
  char byte;
  EXPECT_EQ(read(p.client.get(), &byte, 1), 0);  // superd's end is closed
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace superd
