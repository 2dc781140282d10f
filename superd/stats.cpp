#include "stats.hpp"

#include <cinttypes>
#include <cstdio>

namespace superd {

std::string EndpointName(const Endpoint& endpoint) {
  return endpoint.dual_stack ? "*:" + std::to_string(endpoint.address.Port())
                             : endpoint.address.ToString();
}

std::string StatsLine(const ServiceState& state, const char* state_name) {
  std::string addresses;
  for (const Endpoint& e : state.service->listen)
    addresses += (addresses.empty() ? "" : ",") + EndpointName(e);
  const uint64_t acl = state.refused[static_cast<int>(Refusal::kAcl)];
  const uint64_t per = state.refused[static_cast<int>(Refusal::kPerSource)];
  const uint64_t rate = state.refused[static_cast<int>(Refusal::kRatePerSource)];
  const uint64_t proxy = state.refused[static_cast<int>(Refusal::kProxy)];
  char counters[400];
  int n = snprintf(counters, sizeof counters,
                   " running=%d spawned=%" PRIu64 " refused=%" PRIu64 " refused_acl=%" PRIu64
                   " refused_per_source=%" PRIu64 " refused_rate_per_source=%" PRIu64
                   " rate_limit_pauses=%" PRIu64 " failed=%" PRIu64,
                   state.running, state.spawned, acl + per + rate + proxy, acl, per, rate,
                   state.admission.pauses(), state.failed);
  if (state.service->proxy_protocol && n > 0 && static_cast<size_t>(n) < sizeof counters)
    snprintf(counters + n, sizeof counters - n,
             " refused_proxy=%" PRIu64 " health_checks=%" PRIu64 " awaiting_header=%d", proxy,
             state.health_checks, state.awaiting_header);
  return std::string("state=") + state_name + " addresses=" + addresses + counters;
}

}  // namespace superd
