// The statistics SIGUSR1 logs (superd(8), SIGNALS): one key=value line per
// service, for people and scripts alike. Formatting only; the counters live
// in ServiceState, kept across reloads by service name.
#pragma once

#include <string>

#include "service_state.hpp"

namespace superd {

// How an endpoint is named in messages: as written for "*:PORT", else the
// address it resolved to.
std::string EndpointName(const Endpoint& endpoint);

// "state=STATE addresses=A,B running=N spawned=N refused=N refused_acl=N
// refused_per_source=N refused_rate_per_source=N rate_limit_pauses=N
// failed=N"
std::string StatsLine(const ServiceState& state, const char* state_name);

}  // namespace superd
