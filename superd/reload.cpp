#include "reload.hpp"

#include <string>
#include <unordered_map>

namespace superd {
namespace {

std::string Id(const SocketAddress& address, Protocol protocol, bool dual_stack,
               bool reuse_port) {
  return address.ToString() + (protocol == Protocol::kUdp ? "/udp" : "/tcp") +
         (dual_stack ? "/dual" : "") + (reuse_port ? "/reuseport" : "");
}

}  // namespace

ReloadPlan PlanReload(const std::vector<SocketKey>& old_sockets,
                      const ServiceTable& next) {
  std::unordered_map<std::string, size_t> unclaimed;  // id -> old socket
  for (size_t i = 0; i < old_sockets.size(); ++i)
    unclaimed.emplace(
        Id(old_sockets[i].address, old_sockets[i].protocol, old_sockets[i].dual_stack,
           old_sockets[i].reuse_port),
        i);
  ReloadPlan plan;
  for (const Service& service : next.services) {
    auto& endpoints = plan.keep.emplace_back();
    if (service.disabled) continue;
    for (const Endpoint& endpoint : service.listen) {
      auto it = unclaimed.find(
          Id(endpoint.address, service.protocol, endpoint.dual_stack, service.reuse_port));
      if (it == unclaimed.end()) {
        endpoints.push_back(std::nullopt);
        continue;
      }
      endpoints.push_back(it->second);
      unclaimed.erase(it);
    }
  }
  for (const auto& [id, i] : unclaimed) plan.close.push_back(i);
  return plan;
}

}  // namespace superd
