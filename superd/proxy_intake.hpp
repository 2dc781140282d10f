// ProxyIntake: the connections of proxy_protocol services while their PROXY
// header comes in, read in the loop without ever blocking it. Each waits in
// the poll set under a deadline (a loop timer, kDeadline); what has come is
// taken as it comes, since every byte before the end of a header is the
// header's, and the header's last byte is the last one read: the program
// gets the client's stream from its first byte. Knows nothing of services:
// the supervisor decides what a header means.
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

class ProxyIntake {
 public:
  static constexpr std::chrono::seconds kDeadline{5};

  // The end of a connection's wait: kComplete with its header (the header
  // read, nothing more), or kInvalid with why (a malformed header, the peer
  // gone, the deadline passed). The descriptor is the caller's again.
  // `at_once`: called from Add itself (the header had come with the
  // connection), not later from the loop.
  using Done = std::function<void(UniqueFd fd, const ProxyParse& parse, bool at_once)>;

  explicit ProxyIntake(EventLoop& loop) : loop_(loop) {}
  ~ProxyIntake() { Clear(); }
  ProxyIntake(const ProxyIntake&) = delete;
  ProxyIntake& operator=(const ProxyIntake&) = delete;

  // Waits for the header of `fd`; `done` runs once: at once when the
  // header has already come, else from the loop.
  void Add(UniqueFd fd, Done done);
  size_t size() const { return waiting_.size(); }
  // Closes every waiting connection, calling nothing (superd stops).
  void Clear();

 private:
  struct Waiting {
    UniqueFd fd;
    std::string got;  // the header so far
    std::optional<EventLoop::TimerId> deadline;  // once it waits in the loop
    Done done;
  };
  bool Read(int fd, bool at_once);
  bool Finish(int fd, ProxyParse parse, bool at_once);

  EventLoop& loop_;
  std::unordered_map<int, Waiting> waiting_;
};

}  // namespace superd
