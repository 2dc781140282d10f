// Load: 2,000 connections to echo, 50 at a time, each with its own payload;
// every byte must come back. One poll() loop drives all clients, with a
// deadline per connection and for the whole run.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr int kConnections = 2000;
constexpr size_t kConcurrency = 50;

struct Client {
  Fd fd;
  int id = 0;
  std::string payload, received;
  size_t sent = 0;
  bool connected = false, write_done = false;
  Clock::time_point deadline;
};

std::string PayloadFor(int id) {
  return "connection " + std::to_string(id) + ": " + RandomBytes(64 + id % 200, 5000 + id) + "\n";
}

TEST(Load, TwoThousandConnectionsAtConcurrencyFiftyAllEchoed) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                  ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  const auto run_deadline = Clock::now() + 150s;
  std::vector<Client> active;
  std::vector<std::string> failures;
  int next = 0, ok = 0;

  auto fail = [&failures](const Client& c, const std::string& why) {
    if (failures.size() < 20)
      failures.push_back("connection " + std::to_string(c.id) + ": " + why + " (sent " +
                         std::to_string(c.sent) + " of " + std::to_string(c.payload.size()) +
                         ", received " + std::to_string(c.received.size()) + ")");
    else if (failures.size() == 20)
      failures.push_back("...");
  };

  while ((next < kConnections || !active.empty()) && Clock::now() < run_deadline) {
    while (next < kConnections && active.size() < kConcurrency) {
      Client c;
      c.id = next++;
      c.payload = PayloadFor(c.id);
      c.deadline = Clock::now() + 30s;
      c.fd = Fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (connect(c.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        c.connected = true;
      } else if (errno != EINPROGRESS) {
        fail(c, std::string("connect: ") + std::strerror(errno));
        continue;
      }
      active.push_back(std::move(c));
    }

    std::vector<pollfd> fds;
    for (const auto& c : active) {
      short events = POLLIN;
      if (!c.connected || !c.write_done) events |= POLLOUT;
      fds.push_back({c.fd.get(), events, 0});
    }
    if (poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) FAIL() << "poll: " << std::strerror(errno);

    std::vector<Client> still;
    for (size_t i = 0; i < active.size(); ++i) {
      Client& c = active[i];
      const short re = fds[i].revents;
      bool done = false;
      if (!c.connected && (re & (POLLOUT | POLLERR | POLLHUP))) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
        if (error != 0) {
          fail(c, std::string("connect: ") + std::strerror(error));
          done = true;
        } else {
          c.connected = true;
        }
      }
      if (!done && c.connected && !c.write_done && (re & POLLOUT)) {
        const ssize_t n = send(c.fd.get(), c.payload.data() + c.sent, c.payload.size() - c.sent,
                               MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN) {
          fail(c, std::string("send: ") + std::strerror(errno));
          done = true;
        } else if (c.sent == c.payload.size()) {
          shutdown(c.fd.get(), SHUT_WR);
          c.write_done = true;
        }
      }
      if (!done && c.connected && (re & (POLLIN | POLLHUP | POLLERR))) {
        char buf[4096];
        const ssize_t n = read(c.fd.get(), buf, sizeof buf);
        if (n > 0) {
          c.received.append(buf, static_cast<size_t>(n));
        } else if (n == 0) {
          if (c.received == c.payload && c.write_done)
            ++ok;
          else
            fail(c, "echoed bytes differ");
          done = true;
        } else if (errno != EAGAIN) {
          fail(c, std::string("read: ") + std::strerror(errno));
          done = true;
        }
      }
      if (!done && Clock::now() > c.deadline) {
        fail(c, "no end of input within 30 s");
        done = true;
      }
      if (!done) still.push_back(std::move(c));
    }
    active = std::move(still);
  }

  std::string report;
  for (const auto& f : failures) report += f + "\n";
  EXPECT_EQ(next, kConnections) << "run deadline passed";
  EXPECT_EQ(ok, kConnections) << report;
  // Every instance was reaped and its exit logged.
  EXPECT_TRUE(superd.WaitForLogCount("^info: echo: pid [0-9]+ exited with status 0 after", kConnections, 30s))
      << superd.CountLog("^info: echo: pid [0-9]+ exited") << " exits logged";
  EXPECT_EQ(superd.CountLog("^info: echo: connection from 127\\.0\\.0\\.1:"), size_t(kConnections));
  EXPECT_TRUE(superd.Running());
}

}  // namespace
}  // namespace e2e
