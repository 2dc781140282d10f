// Supervisor: wires the loop. Binds every endpoint of the table, then:
// readable listener -> accept -> spawn -> instances; SIGCHLD -> reap -> log
// exit -> watch the listener again; SIGHUP -> load the table -> plan ->
// bind new sockets -> commit or abandon (supervisor_reload.cpp);
// SIGTERM/SIGINT -> stop. The one layer that logs what the layers below it
// report. Never blocks outside the loop's wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "activation.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "instances.hpp"
#include "proxy_intake.hpp"
#include "reload.hpp"
#include "service_state.hpp"
#include "signals.hpp"
#include "spawn_plan.hpp"
#include "spawner.hpp"
#include "table.hpp"
#include "table_load.hpp"
#include "table_watch.hpp"

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
  // Serves `table` until SIGTERM or SIGINT, rereading it from its file on
  // SIGHUP. Returns false, having logged why, when superd could not start
  // (a socket that cannot be bound, a `user` it may not switch to).
  static bool Run(ServiceTable table, const SupervisorOptions& options);

 private:
  using StatePtr = std::shared_ptr<ServiceState>;
  static constexpr const char* kSelf = "superd";  // what superd logs as itself
  static double SecondsSince(std::chrono::steady_clock::time_point start);

  Supervisor(std::shared_ptr<const ServiceTable> table,
             const SupervisorOptions& options);
  bool Start();
  static bool MaySwitchUsers(const ServiceTable& table);
  std::shared_ptr<Listener> Open(const Service& service, const Endpoint& endpoint,
                                 ActivationSockets* activation = nullptr);
  void Adjust(Listener& listener, const Service& service);
  void Watch(const std::shared_ptr<Listener>& listener);
  void Close(Listener& listener);

  void OnReadable(Listener& listener);
  void AcceptConnections(Listener& listener);
  UniqueFd Accept(Listener& listener, Connection& connection);
  bool Serve(ServiceState& state, UniqueFd conn, const Connection& c);
  bool ServeProxied(ServiceState& state, Listener& listener, UniqueFd conn,
                    const Connection& c);
  bool OnProxyHeader(ServiceState& state, UniqueFd fd, const Connection& balancer,
                     const ProxyParse& parse);
  std::optional<Verdict> AdmitDatagram(Listener& listener, Connection& c);
  bool Paused(ServiceState& state);
  void NoteRefusal(ServiceState& state, const Connection& c, const Verdict& v,
                   const char* what, std::string_view why = {});
  static std::string Client(const Connection& c);
  static void LogRefusalSummary(ServiceState& state);
  void ScheduleSweep(ServiceState& state);
  bool Spawn(ServiceState& state, const std::shared_ptr<Listener>& waited,
             int socket, const Connection& connection, const Verdict& verdict);
  void TimedOut(pid_t pid);
  bool CanSpawn(const ServiceState& state) const;
  void Refresh(ServiceState& state);
  void RefreshAll();
  void NoteFull();  // at max_children: log once, stop watching every listener
  void Rest(Listener& listener, std::chrono::milliseconds time);

  void OnSignal();
  void Reap();
  void LogFailure(const ServiceState& state, const SpawnFailure& failure);
  void LogExit(const ServiceState& state, pid_t pid, int status,
               const Instance& instance);
  void Reload();
  void OnTableLoaded();
  void WatchTable();
  void OnTableChanged();
  void Apply(LoadResult loaded);
  void ExplainBindConflict(const Service& service, const Endpoint& endpoint,
                           const ReloadPlan& plan, const std::vector<SocketKey>& old);
  void Commit(std::shared_ptr<const ServiceTable> table,
              std::vector<std::vector<std::shared_ptr<Listener>>> listeners,
              const std::vector<std::shared_ptr<Listener>>& closing);
  void BeginShutdown(int signal);
  void CloseListeners();
  void LogStats();
  std::string Status() const;  // one line, for STATUS= and the stats
  const char* State(const ServiceState& state) const;

  std::shared_ptr<const ServiceTable> table_;
  const SupervisorOptions options_;
  SteadyClock clock_;
  EventLoop loop_;
  ProxyIntake intake_{loop_};  // proxy_protocol connections awaiting their header
  SignalSet signals_;
  std::optional<Spawner> spawner_;
  Instances instances_;
  std::vector<StatePtr> services_;  // the current table's, in its order
  bool stopping_ = false;
  std::unique_ptr<TableLoad> load_;  // a SIGHUP's table, loading off the loop
  bool reload_again_ = false;        // another SIGHUP came meanwhile
  TableWatch watch_;                 // `watch`: the table's files
  bool watching_ = false;            // watch_ is in the loop
  std::optional<EventLoop::TimerId> settle_;  // the reload a change asks for
  EventLoop::Clock::time_point first_change_;  // of those settle_ waits for
  bool full_logged_ = false;
};

}  // namespace superd
