#include "supervisor.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "listener.hpp"
#include "log.hpp"
#include "notify.hpp"

namespace superd {
namespace {

constexpr const char* kSelf = "superd";
// Connections accepted per wake-up of one listener, so that one busy
// service cannot starve the others.
constexpr int kAcceptBatch = 32;
// After EMFILE/ENFILE, how long a listener rests before trying again.
constexpr auto kDescriptorBackoff = std::chrono::milliseconds(100);
// After a failed fork, or a wait program that could not be executed, how
// long its socket rests: a pending datagram would otherwise make every
// wake-up fail the same way.
constexpr auto kSpawnFailureBackoff = std::chrono::milliseconds(1000);

// How an endpoint is named in messages: as written for "*:PORT", else the
// address it resolved to.
std::string Name(const Endpoint& endpoint) {
  return endpoint.dual_stack ? "*:" + std::to_string(endpoint.address.Port())
                             : endpoint.address.ToString();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// A closed fd 0, 1 or 2 would be reused by a socket, which a child would
// then get as stdin or stderr by accident. Descriptors superd inherited
// (from a shell, a init script) are not the programs' business: mark them
// close-on-exec, so that a program sees only fds 0, 1 and 2.
void SanitizeDescriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) open("/dev/null", O_RDWR);
  }
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd = 3; fd < 65536; ++fd) {  // kernels before 5.11
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

}  // namespace

bool Supervisor::Run(const ServiceTable& table,
                     const SupervisorOptions& options) {
  SanitizeDescriptors();
  Supervisor supervisor(table, options);
  if (!supervisor.Start()) return false;
  supervisor.loop_.Run();
  LOG_INFO(kSelf, "stopped");
  return true;
}

Supervisor::Supervisor(const ServiceTable& table,
                       const SupervisorOptions& options)
    : table_(table),
      options_(options),
      signals_({SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
  for (const Service& s : table.services)
    services_.push_back({&s, nullptr, {}});
}

int Supervisor::SockType(const ServiceState& state) const {
  return state.service->protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
}

bool Supervisor::Start() {
  if (!signals_.error().empty()) {
    LOG_ERROR(kSelf, "%s", signals_.error().c_str());
    return false;
  }
  UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null) {
    LOG_ERROR(kSelf, "unable to open /dev/null: %s", strerror(errno));
    return false;
  }
  spawner_.emplace(std::move(dev_null), options_.concurrent_spawn);
  size_t sockets = 0, enabled = 0;
  bool ok = true;
  for (ServiceState& state : services_) {
    if (state.service->disabled) {
      LOG_INFO(state.service->name.c_str(), "disabled");
      continue;
    }
    ok = OpenListeners(state) && ok;  // report every failure, not the first
    sockets += state.listeners.size();
    ++enabled;
  }
  if (!ok) return false;
  loop_.Watch(signals_.fd(), [this] { OnSignal(); });
  for (size_t s = 0; s < services_.size(); ++s) {
    for (size_t l = 0; l < services_[s].listeners.size(); ++l)
      loop_.Watch(services_[s].listeners[l].fd.get(),
                  [this, s, l] { OnReadable(s, l); });
  }
  LOG_INFO(kSelf, "ready: %zu services listening on %zu sockets", enabled,
           sockets);
  Notify("READY=1\nSTATUS=" + Status());
  if (options_.on_ready) options_.on_ready();
  return true;
}

bool Supervisor::OpenListeners(ServiceState& state) {
  const Service& service = *state.service;
  ListenOptions options{SockType(state), service.backlog, !service.wait};
  bool ok = true;
  for (const Endpoint& endpoint : service.listen) {
    auto opened = OpenListener(endpoint, options);
    if (auto* error = std::get_if<ListenError>(&opened)) {
      LOG_ERROR(service.name.c_str(), "unable to %s %s: %s",
                error->verb.c_str(), Name(endpoint).c_str(),
                error->reason.c_str());
      ok = false;
      continue;
    }
    state.listeners.push_back({&endpoint, std::move(std::get<UniqueFd>(opened))});
    LOG_DEBUG(service.name.c_str(), "listening on %s", Name(endpoint).c_str());
  }
  return ok;
}

void Supervisor::OnReadable(size_t s, size_t l) {
  ServiceState& state = services_[s];
  Listener& listener = state.listeners[l];
  if (!state.service->wait) {
    AcceptConnections(s, l);
    return;
  }
  Connection connection{true, SockType(state), listener.endpoint->address, {}, 0, 0};
  listener.busy = true;  // until its program exits
  Spawn(s, l, listener.fd.get(), connection);
  spawner_->Flush();
  Refresh(s);
}

void Supervisor::AcceptConnections(size_t s, size_t l) {
  ServiceState& state = services_[s];
  const Listener& listener = state.listeners[l];
  for (int i = 0; i < kAcceptBatch && CanSpawn(state) && !listener.resting; ++i) {
    Connection c{false, SOCK_STREAM, listener.endpoint->address, {}, 0, 0};
    UniqueFd conn = Accept(s, l, c);
    if (!conn) break;
    Spawn(s, l, conn.get(), c);
  }
  spawner_->Flush();
  Refresh(s);
}

// The next connection waiting on listener `l`, and what is known of its
// client; invalid when none is waiting (or the listener must rest).
UniqueFd Supervisor::Accept(size_t s, size_t l, Connection& c) {
  Listener& listener = services_[s].listeners[l];
  int fd;
  socklen_t len;
  do {
    len = c.remote.capacity();
    fd = accept4(listener.fd.get(), c.remote.get(), &len, SOCK_CLOEXEC);
  } while (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO));
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      LOG_WARNING(services_[s].service->name.c_str(), "unable to accept: %s",
                  strerror(errno));
      Rest(s, l, kDescriptorBackoff);
    }
    return {};  // EAGAIN: drained
  }
  UniqueFd conn(fd);
  c.remote.set_size(len);
  if (c.local.family() == AF_UNIX) {
    ucred cred{};
    socklen_t clen = sizeof cred;
    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
    c.peer_uid = cred.uid;
    c.peer_gid = cred.gid;
  } else if (listener.endpoint->dual_stack) {
    socklen_t llen = c.local.capacity();
    if (getsockname(fd, c.local.get(), &llen) == 0) c.local.set_size(llen);
  }
  return conn;
}

void Supervisor::Spawn(size_t s, size_t l, int socket, const Connection& c) {
  ServiceState& state = services_[s];
  const char* name = state.service->name.c_str();
  // Made at the first connection: most of a large table never gets one.
  if (!state.plan) state.plan = std::make_unique<SpawnPlan>(*state.service);
  state.plan->SetConnection(c);
  pid_t pid = spawner_->Spawn(*state.plan, socket);
  if (pid < 0) {
    ++state.failed;
    LOG_WARNING(name, "unable to fork: %s", strerror(-pid));
    state.listeners[l].busy = false;
    Rest(s, l, kSpawnFailureBackoff);
    return;
  }
  std::optional<size_t> waited_listener;
  if (c.wait) waited_listener = l;
  instances_.Add(pid, {s, waited_listener, std::chrono::steady_clock::now()});
  ++state.running;
  ++state.spawned;
  NoteFull();
  if (c.wait)
    LOG_INFO(name, "started pid %d", pid);
  else if (c.local.family() == AF_UNIX)
    LOG_INFO(name, "connection from uid %u gid %u, pid %d", c.peer_uid,
             c.peer_gid, pid);
  else
    LOG_INFO(name, "connection from %s, pid %d", c.remote.ToString().c_str(), pid);
}

bool Supervisor::CanSpawn(const ServiceState& state) const {
  return !stopping_ && state.running < state.service->max_instances &&
         static_cast<int>(instances_.size()) < table_.max_children;
}

// Back-pressure by not watching: a listener is polled only while its
// service may start another instance and no wait program holds it.
void Supervisor::Refresh(size_t s) {
  ServiceState& state = services_[s];
  const bool can = CanSpawn(state);
  for (Listener& l : state.listeners)
    loop_.SetActive(l.fd.get(), can && !l.busy && !l.resting);
  const bool at_limit = state.running >= state.service->max_instances;
  if (at_limit && !state.at_limit_logged && !state.service->wait)
    LOG_INFO(state.service->name.c_str(),
             "max_instances (%d) reached; new connections wait", state.service->max_instances);
  state.at_limit_logged = at_limit;
}

void Supervisor::Rest(size_t s, size_t l, std::chrono::milliseconds time) {
  Listener& listener = services_[s].listeners[l];
  listener.resting = true;
  loop_.SetActive(listener.fd.get(), false);
  loop_.AddTimer(EventLoop::Clock::now() + time, [this, s, l] {
    services_[s].listeners[l].resting = false;
    Refresh(s);
  });
}

void Supervisor::NoteFull() {
  if (full_logged_ || static_cast<int>(instances_.size()) < table_.max_children)
    return;
  full_logged_ = true;
  LOG_WARNING(kSelf, "max_children (%d) reached; new connections wait",
              table_.max_children);
  RefreshAll();
}

void Supervisor::RefreshAll() {
  for (size_t s = 0; s < services_.size(); ++s) Refresh(s);
}

void Supervisor::OnSignal() {
  while (int signal = signals_.Next()) {
    switch (signal) {
      case SIGCHLD:
        Reap();
        break;
      case SIGTERM:
      case SIGINT:
        BeginShutdown(signal);
        break;
      case SIGUSR1:
        LogStats();
        break;
      default:
        LOG_WARNING(kSelf, "reload (SIGHUP) is not supported yet; ignored");
    }
  }
}

void Supervisor::Reap() {
  const bool was_full = static_cast<int>(instances_.size()) >= table_.max_children;
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    std::optional<Instance> instance = instances_.Remove(pid);
    if (!instance) continue;  // not ours (e.g. inherited)
    ServiceState& state = services_[instance->service];
    --state.running;
    std::optional<SpawnFailure> failure;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      failure = spawner_->TakeFailure(pid);
    if (auto l = instance->waited_listener) {
      state.listeners[*l].busy = false;
      if (failure) Rest(instance->service, *l, kSpawnFailureBackoff);
    }
    if (failure) {
      ++state.failed;
      LogFailure(state, *failure);
    } else {
      LogExit(state, pid, status, *instance);
    }
    if (!was_full) Refresh(instance->service);
  }
  if (was_full) {
    full_logged_ = false;
    RefreshAll();
  }
  if (stopping_ && instances_.empty()) loop_.Stop();
}

void Supervisor::LogFailure(const ServiceState& state,
                            const SpawnFailure& failure) {
  const char* name = state.service->name.c_str();
  if (std::strcmp(failure.step, "exec") == 0)
    LOG_WARNING(name, "unable to exec %s: %s", state.service->program.c_str(),
                strerror(failure.error));
  else
    LOG_WARNING(name, "unable to %s for %s: %s", failure.step,
                state.service->program.c_str(), strerror(failure.error));
}

void Supervisor::LogExit(const ServiceState& state, pid_t pid, int status,
                         const Instance& instance) {
  const char* name = state.service->name.c_str();
  const double seconds = SecondsSince(instance.started);
  if (WIFSIGNALED(status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(status));
    LOG_INFO(name, "pid %d killed by signal %d (SIG%s) after %.3fs", pid,
             WTERMSIG(status), abbrev ? abbrev : "?", seconds);
  } else {
    LOG_INFO(name, "pid %d exited with status %d after %.3fs", pid,
             WEXITSTATUS(status), seconds);
  }
}

void Supervisor::BeginShutdown(int signal) {
  if (stopping_) {  // asked twice: the operator will not wait out the grace
    LOG_WARNING(kSelf, "SIG%s again; killing %zu instances now",
                sigabbrev_np(signal), instances_.size());
    instances_.SignalAll(SIGKILL);
    return;
  }
  stopping_ = true;
  LOG_INFO(kSelf, "stopping on SIG%s; %zu instances running",
           sigabbrev_np(signal), instances_.size());
  Notify("STOPPING=1\nSTATUS=stopping, " + std::to_string(instances_.size()) +
         " instances running");
  CloseListeners();
  if (instances_.empty()) {
    loop_.Stop();
    return;
  }
  instances_.SignalAll(SIGTERM);
  kill_timer_ = loop_.AddTimer(
      EventLoop::Clock::now() + table_.shutdown_grace, [this] {
        LOG_WARNING(kSelf, "shutdown_grace over; killing %zu instances",
                    instances_.size());
        instances_.SignalAll(SIGKILL);
      });
}

std::string Supervisor::Status() const {
  size_t listening = 0;
  for (const ServiceState& state : services_)
    listening += !state.service->disabled;
  return std::to_string(listening) + " services listening, " +
         std::to_string(instances_.size()) + " instances running";
}

const char* Supervisor::State(const ServiceState& state) const {
  if (state.service->disabled) return "disabled";
  if (stopping_) return "stopping";
  if (state.running >= state.service->max_instances) return "at-limit";
  for (const Listener& l : state.listeners)
    if (!loop_.IsActive(l.fd.get())) return "paused";
  return "listening";
}

// SIGUSR1: one line per service, key=value, for people and scripts alike.
void Supervisor::LogStats() {
  LOG_INFO(kSelf, "stats: %s", Status().c_str());
  for (const ServiceState& state : services_) {
    std::string addresses;
    for (const Endpoint& e : state.service->listen)
      addresses += (addresses.empty() ? "" : ",") + Name(e);
    LOG_INFO(state.service->name.c_str(),
             "state=%s addresses=%s running=%d spawned=%" PRIu64
             " refused=0 failed=%" PRIu64,
             State(state), addresses.c_str(), state.running, state.spawned,
             state.failed);
  }
}

void Supervisor::CloseListeners() {
  for (ServiceState& state : services_) {
    for (Listener& l : state.listeners) {
      loop_.Unwatch(l.fd.get());
      l.fd.Reset();
      RemoveUnixSocketFile(*l.endpoint);
    }
  }
}

}  // namespace superd
