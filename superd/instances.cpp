#include "instances.hpp"

#include <signal.h>

namespace superd {

std::optional<Instance> Instances::Remove(pid_t pid) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return std::nullopt;
  Instance instance = std::move(it->second);
  by_pid_.erase(it);
  return instance;
}

void Instances::SignalAll(int signal) const {
  // Each instance leads its own session and process group, so this also
  // reaches whatever it started.
  for (const auto& [pid, instance] : by_pid_) {
    if (kill(-pid, signal) != 0) kill(pid, signal);
  }
}

}  // namespace superd
