// ProxyIntake: the connections of proxy_protocol services while their PROXY
// header comes in, read without ever blocking the loop. A balancer sends the
// header at once, so it has usually come with the connection, and is read
// right after the accept (ReadProxyHeader); a connection whose header has
// not waits in the poll set under a deadline (a loop timer, kDeadline).
// What has come is taken as it comes, since every byte before the end of a
// header is the header's, and the header's last byte is the last one read:
// the program gets the client's stream from its first byte. Knows nothing
// of services: the supervisor decides what a header means.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "event_loop.hpp"
#include "fd.hpp"
#include "proxy_header.hpp"

namespace superd {

// Reads what has come of the PROXY header of `fd` after `got` (its bytes
// taken so far): peeks, then takes what can only be the header's, and
// exactly the rest of the header once it ends. The parse once the wait is
// over (kComplete, or kInvalid with why); nullopt while the header goes
// on, with what came appended to `got`. Never blocks (MSG_DONTWAIT: the
// socket itself stays blocking, as the program gets it).
std::optional<ProxyParse> ReadProxyHeader(int fd, std::string& got);

class ProxyIntake {
 public:
  static constexpr std::chrono::seconds kDeadline{5};

  // The end of a connection's wait: kComplete with its header (the header
  // read, nothing more), or kInvalid with why (a malformed header, the peer
  // gone, the deadline passed). The descriptor is the caller's again.
  using Done = std::function<void(UniqueFd fd, const ProxyParse& parse)>;

  explicit ProxyIntake(EventLoop& loop) : loop_(loop) {}
  ~ProxyIntake() { Clear(); }
  ProxyIntake(const ProxyIntake&) = delete;
  ProxyIntake& operator=(const ProxyIntake&) = delete;

  // Waits in the loop for the rest of the header of `fd`, of which `got`
  // has come (ReadProxyHeader); `done` runs once, from the loop.
  void Add(UniqueFd fd, std::string got, Done done);
  size_t size() const { return waiting_.size(); }
  // Closes every waiting connection, calling nothing (superd stops).
  void Clear();

 private:
  struct Waiting {
    UniqueFd fd;
    std::string got;  // the header so far
    EventLoop::TimerId deadline;
    Done done;
  };
  void Finish(int fd, ProxyParse parse);

  EventLoop& loop_;
  std::unordered_map<int, Waiting> waiting_;
};

}  // namespace superd
