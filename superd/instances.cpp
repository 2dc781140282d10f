#include "instances.hpp"

#include <signal.h>

namespace superd {

void Instances::Add(pid_t pid, Instance instance) {
  if (spare_.empty()) {
    by_pid_[pid] = std::move(instance);
    return;
  }
  Map::node_type node = std::move(spare_.back());
  spare_.pop_back();
  node.key() = pid;
  node.mapped() = std::move(instance);
  by_pid_.insert(std::move(node));
}

std::optional<Instance> Instances::Remove(pid_t pid) {
  Map::node_type node = by_pid_.extract(pid);
  if (node.empty()) return std::nullopt;
  Instance instance = std::move(node.mapped());
  spare_.push_back(std::move(node));
  return instance;
}

Instance* Instances::Find(pid_t pid) {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : &it->second;
}

void Instances::SignalAll(int signal) const {
  // Each instance leads its own session and process group, so this also
  // reaches whatever it started.
  for (const auto& [pid, instance] : by_pid_) {
    if (kill(-pid, signal) != 0) kill(pid, signal);
  }
}

}  // namespace superd
