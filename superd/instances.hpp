// Instances: the running processes superd started, by pid. Plain
// bookkeeping; knows nothing of signals or the loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <unordered_map>

namespace superd {

struct Instance {
  size_t service = 0;         // index into the supervisor's services
  std::optional<size_t> waited_listener;  // wait services: whose socket it holds
  std::chrono::steady_clock::time_point started;
};

class Instances {
 public:
  void Add(pid_t pid, const Instance& instance) { by_pid_[pid] = instance; }
  // Removes and returns the instance of `pid`, if it is one of ours.
  std::optional<Instance> Remove(pid_t pid);
  size_t size() const { return by_pid_.size(); }
  bool empty() const { return by_pid_.empty(); }
  // Sends `signal` to the process group of every instance.
  void SignalAll(int signal) const;

 private:
  std::unordered_map<pid_t, Instance> by_pid_;
};

}  // namespace superd
