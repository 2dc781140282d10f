// Supervisor: wires the loop. Binds every endpoint of the table, then:
// readable listener -> accept -> spawn -> instances; SIGCHLD -> reap -> log
// exit -> watch the listener again; SIGTERM/SIGINT -> stop. The one layer
// that logs what the layers below it report. Never blocks outside poll().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "fd.hpp"
#include "instances.hpp"
#include "signals.hpp"
#include "spawn_plan.hpp"
#include "spawner.hpp"
#include "table.hpp"

namespace superd {

struct SupervisorOptions {
  // Let superd accept on while a child execs (clone without CLONE_VFORK);
  // false waits for each exec as vfork does (for measuring the two).
  bool concurrent_spawn = true;
  // Called once every socket is bound, before the first connection.
  std::function<void()> on_ready;
};

class Supervisor {
 public:
  // Serves `table` until SIGTERM or SIGINT. Returns false, having logged
  // why, when superd could not start (a socket that cannot be bound).
  static bool Run(const ServiceTable& table, const SupervisorOptions& options);

 private:
  struct Listener {
    const Endpoint* endpoint;
    UniqueFd fd;
    bool busy = false;     // a wait service's program holds the socket
    bool resting = false;  // not watched for a while after a failure
  };
  struct ServiceState {
    const Service* service;
    std::unique_ptr<SpawnPlan> plan;  // made at the first connection
    std::vector<Listener> listeners;
    int running = 0;
    bool at_limit_logged = false;
    uint64_t spawned = 0, failed = 0;
  };

  Supervisor(const ServiceTable& table, const SupervisorOptions& options);
  bool Start();
  bool OpenListeners(ServiceState& state);
  int SockType(const ServiceState& state) const;

  void OnReadable(size_t service, size_t listener);
  void AcceptConnections(size_t service, size_t listener);
  UniqueFd Accept(size_t service, size_t listener, Connection& connection);
  void Spawn(size_t service, size_t listener, int socket,
             const Connection& connection);
  bool CanSpawn(const ServiceState& state) const;
  void Refresh(size_t service);
  void RefreshAll();
  void NoteFull();  // at max_children: log once, stop watching every listener
  void Rest(size_t service, size_t listener, std::chrono::milliseconds time);

  void OnSignal();
  void Reap();
  void LogFailure(const ServiceState& state, const SpawnFailure& failure);
  void LogExit(const ServiceState& state, pid_t pid, int status,
               const Instance& instance);
  void BeginShutdown(int signal);
  void LogStats();
  std::string Status() const;  // one line, for STATUS= and the stats
  const char* State(const ServiceState& state) const;
  void CloseListeners();

  const ServiceTable& table_;
  const SupervisorOptions options_;
  EventLoop loop_;
  SignalSet signals_;
  std::optional<Spawner> spawner_;
  Instances instances_;
  std::vector<ServiceState> services_;
  bool stopping_ = false;
  bool full_logged_ = false;
  std::optional<EventLoop::TimerId> kill_timer_;
};

}  // namespace superd
