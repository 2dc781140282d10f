// Instances: the running processes superd started, by pid. Plain
// bookkeeping; knows nothing of signals or the loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "event_loop.hpp"
#include "service_state.hpp"

namespace superd {

struct Instance {
  std::shared_ptr<ServiceState> service;
  std::shared_ptr<Listener> waited;  // wait services: the socket it holds
  std::chrono::steady_clock::time_point started;
  Verdict admitted;  // counted against its source until it ends
  std::optional<EventLoop::TimerId> deadline;  // `timeout`, until it fires
};

class Instances {
 public:
  void Add(pid_t pid, Instance instance);
  // Removes and returns the instance of `pid`, if it is one of ours.
  std::optional<Instance> Remove(pid_t pid);
  Instance* Find(pid_t pid);
  size_t size() const { return by_pid_.size(); }
  bool empty() const { return by_pid_.empty(); }
  // Sends `signal` to the process group of every instance.
  void SignalAll(int signal) const;

 private:
  using Map = std::unordered_map<pid_t, Instance>;
  Map by_pid_;
  // Nodes of removed instances, reused by Add: no allocation per
  // connection once as many instances as ever ran at once have been seen.
  std::vector<Map::node_type> spare_;
};

}  // namespace superd
