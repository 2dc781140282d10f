// EventLoop: readable descriptors plus deadlines. Knows nothing of services
// or YAML. Callbacks run in the loop, one at a time; they may watch,
// unwatch, pause or add timers freely. A paused descriptor stays registered
// but is not polled (back-pressure by not watching). Never blocks except
// while waiting for the next event.
//
// The mechanism is poll(), over a pollfd array kept between wake-ups. With
// more than kEpollThreshold descriptors (a table of thousands of services)
// scanning them all on every wake-up would cost more than the work itself,
// so the loop moves them to epoll, which reports only the ready ones.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fd.hpp"

namespace superd {

class EventLoop {
 public:
  enum class Backend { kAuto, kPoll, kEpoll };
  static constexpr size_t kEpollThreshold = 256;

  explicit EventLoop(Backend backend = Backend::kAuto);
  bool using_epoll() const { return epoll_.valid(); }

  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void()>;
  using TimerId = std::pair<Clock::time_point, uint64_t>;

  // Calls `on_readable` whenever `fd` is readable (or has an error/hangup).
  void Watch(int fd, Callback on_readable);
  void Unwatch(int fd);
  // Stops or resumes polling a watched descriptor, keeping its callback.
  void SetActive(int fd, bool active);
  bool IsActive(int fd) const;

  TimerId AddTimer(Clock::time_point when, Callback callback);
  void CancelTimer(const TimerId& id);

  // Waits for the next readable descriptor or deadline and dispatches.
  void RunOnce();
  // Runs until Stop() is called from a callback.
  void Run();
  void Stop() { stopped_ = true; }

 private:
  int PollTimeoutMs() const;
  void RunDueTimers();
  void StartEpoll();
  void EpollControl(int op, int fd);
  void Wait();  // fills ready_

  std::vector<pollfd> pollfds_;          // fd < 0 while paused
  std::vector<int> fds_;                 // the real fd of each slot
  std::vector<Callback> callbacks_;      // parallel to pollfds_
  std::unordered_map<int, size_t> slot_; // fd -> index
  std::vector<int> ready_;               // scratch, reused each wake-up
  Backend backend_;
  UniqueFd epoll_;                       // valid once the loop uses epoll
  std::map<TimerId, Callback> timers_;
  uint64_t next_timer_ = 0;
  bool stopped_ = false;
};

}  // namespace superd
