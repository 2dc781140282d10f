// ServiceState and Listener: the running state of one service and of each
// of its sockets, as the supervisor keeps them. Instances hold on to the
// state (and socket) they came from, so that a service a reload removes
// lives on, without listening, until its last instance has exited.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "event_loop.hpp"
#include "fd.hpp"
#include "listener.hpp"
#include "log_throttle.hpp"
#include "policy.hpp"
#include "spawn_plan.hpp"
#include "table.hpp"

namespace superd {

struct ServiceState;

struct Listener : std::enable_shared_from_this<Listener> {
  const Endpoint* endpoint = nullptr;  // in the owner's table
  UniqueFd fd;
  ServiceState* owner = nullptr;       // the service accepting on it now;
                                       // nullptr once a reload closed it
  bool busy = false;     // a wait service's program holds the socket
  bool adjust_pending = false;  // a reload's settings wait for it to exit
  bool resting = false;  // not watched for a while after a failure
  bool accept_failing = false;  // accept(2) has been failing (logged once)
  bool adopted = false;  // passed by the service manager, which owns its file
  SocketFile file;       // a UNIX socket's file, removed with the socket
  bool wait = false;     // the mode, backlog and buffers it has
  int backlog = -1;      // (AdjustListener); -1: unknown (adopted)
  BufferSizes buffers;
  bool reuse_port = false;  // bound with SO_REUSEPORT (fixed at bind)
  bool proxy_protocol = false;  // with TCP_DEFER_ACCEPT
};

struct ServiceState : std::enable_shared_from_this<ServiceState> {
  explicit ServiceState(const Clock& clock) : admission(clock) {}

  std::shared_ptr<const ServiceTable> table;  // keeps *service alive
  const Service* service = nullptr;
  std::unique_ptr<SpawnPlan> plan;            // made at the first connection
  std::vector<std::shared_ptr<Listener>> listeners;
  Admission admission;                        // its policy's decisions
  LogThrottle refusal_log;
  int running = 0;
  bool at_limit_logged = false;
  bool fork_failing = false;  // no process could be created (logged once)
  bool paused = false;  // rate_limit: not accepting until `resume` fires
  std::optional<EventLoop::TimerId> resume;
  std::optional<EventLoop::TimerId> sweep;  // forgets idle sources
  // Since superd started, across reloads.
  uint64_t spawned = 0, failed = 0;
  uint64_t refused[kRefusalKinds] = {};  // by Refusal
  uint64_t health_checks = 0;   // proxy_protocol: LOCAL headers answered
  int awaiting_header = 0;      // proxy_protocol: connections in the intake
};

}  // namespace superd
