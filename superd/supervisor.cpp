#include "supervisor.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <unordered_map>
#include <utility>

#include "listener.hpp"
#include "log.hpp"
#include "notify.hpp"
#include "privileges.hpp"
#include "stats.hpp"

namespace superd {
namespace {

// Connections accepted per wake-up of one listener, so that one busy
// service cannot starve the others.
constexpr int kAcceptBatch = 32;
// After EMFILE/ENFILE, how long a listener rests before trying again.
constexpr auto kDescriptorBackoff = std::chrono::milliseconds(100);
// After a failed fork, or a wait program that could not be executed, how
// long its socket rests: a pending datagram would otherwise make every
// wake-up fail the same way.
constexpr auto kSpawnFailureBackoff = std::chrono::milliseconds(1000);
// `timeout`: from SIGTERM to SIGKILL of the instance's process group.
constexpr auto kTimeoutKillDelay = std::chrono::seconds(2);

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

double Supervisor::SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool Supervisor::Run(ServiceTable table, const SupervisorOptions& options) {
  SanitizeDescriptors();
  Supervisor supervisor(std::make_shared<const ServiceTable>(std::move(table)),
                        options);
  if (!supervisor.Start()) return false;
  supervisor.loop_.Run();
  LOG_INFO(kSelf, "stopped");
  return true;
}

Supervisor::Supervisor(std::shared_ptr<const ServiceTable> table,
                       const SupervisorOptions& options)
    : table_(std::move(table)),
      options_(options),
      signals_({SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
  for (const Service& s : table_->services) {
    auto state = std::make_shared<ServiceState>(clock_);
    state->table = table_;
    state->service = &s;
    state->admission.Configure(s.policy);
    services_.push_back(std::move(state));
  }
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
  // Before any listener: the spawner's handoff descriptors must be low.
  ActivationSockets activation;  // descriptors 3...: before anything opens
  spawner_.emplace(std::move(dev_null), options_.concurrent_spawn);
  bool ok = MaySwitchUsers(*table_);
  for (const StatePtr& state : services_) {
    const Service& service = *state->service;
    if (service.disabled) LOG_INFO(service.name.c_str(), "disabled");
    if (service.disabled) continue;
    for (const Endpoint& endpoint : service.listen) {
      auto listener = Open(service, endpoint, &activation);
      ok = ok && listener != nullptr;  // but report every failure
      if (listener) listener->owner = state.get();
      if (listener) state->listeners.push_back(std::move(listener));
    }
  }
  for (const auto& unused : activation.CloseRest())
    LOG_WARNING(kSelf, "closed socket fd %d (%s) from the service manager: "
                "no listen entry has its address", unused.fd, unused.name.c_str());
  if (!ok) return false;
  loop_.Watch(signals_.fd(), [this] { OnSignal(); });
  WatchTable();
  for (const StatePtr& state : services_)
    for (const auto& listener : state->listeners) Watch(listener);
  LOG_INFO(kSelf, "ready: %s", Status().c_str());
  Notify("READY=1\nSTATUS=" + Status());
  if (options_.on_ready) options_.on_ready();
  return true;
}

// A service with `user` or `group` in a superd that may not switch users
// would fail at every spawn: it stops a start or a reload instead.
bool Supervisor::MaySwitchUsers(const ServiceTable& table) {
  if (CanSwitchUser()) return true;
  bool ok = true;
  for (const Service& service : table.services) {
    if (service.disabled || !service.credentials || !Switches(*service.credentials)) continue;
    const Credentials& c = *service.credentials;
    const std::string who =
        c.user_name.empty() ? "group " + std::to_string(c.gid) : "user " + c.user_name;
    LOG_ERROR(service.name.c_str(), "cannot run as %s: superd needs root, or "
              "CAP_SETUID and CAP_SETGID, to switch users", who.c_str());
    ok = false;
  }
  return ok;
}

// Adopts the socket the service manager passed for `endpoint`, or binds
// one; nullptr, having logged why, when it cannot.
std::shared_ptr<Listener> Supervisor::Open(const Service& service,
                                           const Endpoint& endpoint,
                                           ActivationSockets* activation) {
  ListenOptions options{
      service.protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM,
      service.backlog, !service.wait, {service.sndbuf, service.rcvbuf}, service.reuse_port,
      service.proxy_protocol};
  auto listener = std::make_shared<Listener>();
  listener->endpoint = &endpoint;
  if (activation) listener->fd = activation->Take(endpoint, options.socktype);
  if (listener->fd) {
    Adjust(*listener, service);  // whatever mode the manager made it in
    listener->adopted = true;
    listener->reuse_port = service.reuse_port;  // the manager's business (ReusePort=)
    LOG_INFO(service.name.c_str(), "adopted %s (fd %d) from the service manager",
             EndpointName(endpoint).c_str(), listener->fd.get());
    return listener;
  }
  auto opened = OpenListener(endpoint, options);
  if (auto* error = std::get_if<ListenError>(&opened)) {
    LOG_ERROR(service.name.c_str(), "unable to %s %s: %s", error->verb.c_str(),
              EndpointName(endpoint).c_str(), error->reason.c_str());
    return nullptr;
  }
  LOG_DEBUG(service.name.c_str(), "listening on %s", EndpointName(endpoint).c_str());
  listener->fd = std::move(std::get<UniqueFd>(opened));
  listener->file = SocketFileOf(endpoint);
  listener->wait = service.wait;
  listener->backlog = service.backlog;
  listener->buffers = options.buffers;
  listener->reuse_port = options.reuse_port;
  listener->proxy_protocol = options.defer_accept;
  return listener;
}

// Gives a socket superd keeps its (new) service's blocking mode, backlog
// and buffer sizes; only what changed, so that reloading a large table
// costs no system call per socket.
void Supervisor::Adjust(Listener& listener, const Service& service) {
  const BufferSizes buffers{service.sndbuf, service.rcvbuf};
  if (listener.backlog == service.backlog && listener.wait == service.wait &&
      listener.buffers == buffers && listener.proxy_protocol == service.proxy_protocol)
    return;
  AdjustListener(listener.fd.get(), service, listener.buffers);
  listener.proxy_protocol = service.proxy_protocol;
  listener.wait = service.wait;
  listener.backlog = service.backlog;
  listener.buffers = buffers;
}

void Supervisor::Watch(const std::shared_ptr<Listener>& listener) {
  Listener* l = listener.get();  // unwatched before it is destroyed
  loop_.Watch(l->fd.get(), [this, l] { OnReadable(*l); });
}

void Supervisor::Close(Listener& listener) {
  loop_.Unwatch(listener.fd.get());
  // Children between clone and exec hold copies of the socket for a moment;
  // shutdown() stops it listening in all of them at once, so that its port
  // refuses at once and a reload can bind it again. Not while a wait
  // program uses it (it finishes undisturbed), nor a socket the service
  // manager owns (it listens on after superd).
  if (!listener.busy && !listener.adopted) shutdown(listener.fd.get(), SHUT_RDWR);
  listener.fd.Reset();
  if (!listener.adopted) RemoveUnixSocketFile(*listener.endpoint, listener.file);
}

void Supervisor::OnReadable(Listener& listener) {
  ServiceState& state = *listener.owner;
  if (!state.service->wait) {
    AcceptConnections(listener);
    return;
  }
  if (Paused(state)) return;
  Connection c{true, state.service->protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM,
               listener.endpoint->address, {}, 0, 0, {}};
  std::optional<Verdict> verdict = AdmitDatagram(listener, c);
  if (!verdict) return;  // refused, or nothing was waiting after all
  listener.busy = true;  // until its program exits
  if (!Spawn(state, listener.shared_from_this(), listener.fd.get(), c, *verdict))
    Rest(listener, kSpawnFailureBackoff);
  spawner_->Flush();
  Refresh(state);
}

// A wait service's program reads its clients itself; superd checks the one
// that would start it. On an inet datagram socket that is the sender of the
// next datagram (peeked, left for the program); refused datagrams are read
// and dropped. nullopt when nothing is left to start the program for.
std::optional<Verdict> Supervisor::AdmitDatagram(Listener& listener, Connection& c) {
  ServiceState& state = *listener.owner;
  const bool inet = c.local.family() != AF_UNIX;
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (c.socktype != SOCK_DGRAM || !inet) return state.admission.Admit(nullptr);
    char byte;
    socklen_t len = c.remote.capacity();
    if (recvfrom(listener.fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT, c.remote.get(),
                 &len) < 0 && errno != EMSGSIZE)
      return std::nullopt;  // drained (EAGAIN), or an error the program reports
    c.remote.set_size(len);
    Verdict v = state.admission.Admit(c.remote.get());
    if (v.admitted()) return v;
    recv(listener.fd.get(), &byte, 1, MSG_DONTWAIT);  // dropped
    NoteRefusal(state, c, v, "datagram");
  }
  return std::nullopt;  // still readable: the loop comes back to it
}

void Supervisor::AcceptConnections(Listener& listener) {
  ServiceState& state = *listener.owner;
  for (int i = 0; i < kAcceptBatch && CanSpawn(state) && !listener.resting; ++i) {
    // A pause begins only when a client is known to be waiting: at the
    // first accept of a wake-up; later, the loop's next poll tells.
    if (i > 0 && !state.admission.HasToken()) break;
    if (Paused(state)) break;
    Connection c{false, SOCK_STREAM, listener.endpoint->address, {}, 0, 0, {}};
    UniqueFd conn = Accept(listener, c);
    if (!conn) break;
    if (!(state.service->proxy_protocol ? ServeProxied(state, listener, std::move(conn), c)
                                        : Serve(state, std::move(conn), c))) {
      Rest(listener, kSpawnFailureBackoff);
      break;
    }
  }
  spawner_->Flush();
  Refresh(state);
}

// A client known by its address: admitted and started, or refused (closed
// at once). False when no process could be created.
bool Supervisor::Serve(ServiceState& state, UniqueFd conn, const Connection& c) {
  const Verdict verdict = state.admission.Admit(c.remote.get(), c.peer_uid);
  if (!verdict.admitted()) {
    NoteRefusal(state, c, verdict, "connection");
    return true;
  }
  if (state.service->keepalive) {
    int on = 1;
    setsockopt(conn.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  }
  return Spawn(state, nullptr, conn.get(), c, verdict);
}

// proxy_protocol: a connection from a load balancer of `proxy_from`,
// served once its header says who the client is. The header has usually
// come with the connection; if not, the connection waits for it
// (ProxyIntake), holding one of the service's instances meanwhile, so that
// half-sent headers cost at most max_instances waiting connections per
// service. Anyone else is refused before a byte is read. False when no
// process could be created.
bool Supervisor::ServeProxied(ServiceState& state, Listener& listener, UniqueFd conn,
                              const Connection& c) {
  const Verdict balancer = state.admission.CheckBalancer(c.remote.get());
  if (!balancer.admitted()) {
    NoteRefusal(state, c, balancer, "connection");
    return true;
  }
  std::string got;
  if (auto parse = ReadProxyHeader(conn.get(), got))
    return OnProxyHeader(state, std::move(conn), c, *parse);
  ++state.awaiting_header;
  std::weak_ptr<ServiceState> weak_state = state.shared_from_this();
  std::weak_ptr<Listener> weak_listener = listener.shared_from_this();
  intake_.Add(std::move(conn), std::move(got),
              [this, weak_state, weak_listener, c](UniqueFd fd, const ProxyParse& parse) {
                auto s = weak_state.lock();
                if (!s) return;  // gone with a reload: the connection closes
                --s->awaiting_header;
                if (!OnProxyHeader(*s, std::move(fd), c, parse))
                  if (auto l = weak_listener.lock(); l && l->fd) Rest(*l, kSpawnFailureBackoff);
                spawner_->Flush();
                Refresh(*s);
              });
  return true;
}

// A connection's PROXY header, or why it has none. A LOCAL header is a
// balancer's health check: proof enough that superd accepts for the
// service, answered by closing, without a spawn. False when no process
// could be created.
bool Supervisor::OnProxyHeader(ServiceState& state, UniqueFd fd, const Connection& balancer,
                               const ProxyParse& parse) {
  if (parse.status != ProxyStatus::kComplete) {
    Verdict v;
    v.refusal = Refusal::kProxy;
    NoteRefusal(state, balancer, v, "connection", parse.error);
    return true;
  }
  const ProxyHeader& h = parse.header;
  if (h.local) {
    ++state.health_checks;
    LOG_DEBUG(state.service->name.c_str(), "health check from %s",
              Client(balancer).c_str());
    return true;
  }
  Connection c = balancer;
  c.proxy = balancer.remote;
  const auto inet = [](const SocketAddress& a) {
    return a.family() == AF_INET || a.family() == AF_INET6;
  };
  // UNKNOWN (or addresses superd cannot use): the connection's own, as the
  // specification says.
  if (!h.unknown && inet(h.source) && inet(h.destination)) {
    c.remote = h.source;
    c.local = h.destination;
  }
  return Serve(state, std::move(fd), c);
}

// rate_limit: whether `state` must stop accepting for now. The first check
// of an episode logs it and sets the timer that resumes the service.
bool Supervisor::Paused(ServiceState& state) {
  if (state.paused) return true;
  bool new_pause = false;
  const auto until = state.admission.PausedUntil(&new_pause);
  if (!until) return false;
  state.paused = true;
  const auto now = EventLoop::Clock::now();
  if (new_pause) {
    const Rate& rate = state.service->policy.rate_limit;
    LOG_WARNING(state.service->name.c_str(),
                "rate_limit (%lld per %.3fs) reached; not accepting for %.3fs",
                rate.count, rate.per.count() / 1000.0,
                std::chrono::duration<double>(*until - now).count());
  }
  Refresh(state);
  std::weak_ptr<ServiceState> weak = state.shared_from_this();
  state.resume = loop_.AddTimer(*until, [this, weak, new_pause] {
    auto s = weak.lock();
    if (!s) return;
    s->paused = false;
    s->resume.reset();
    // The end of an episode's first pause is news; of the ones that
    // continue it (rate_limit_pause 0 under a flood), not.
    SUPERD_LOG(new_pause ? LogLevel::kInfo : LogLevel::kDebug, s->service->name.c_str(),
               "rate_limit pause over; accepting again");
    Refresh(*s);
  });
  return true;
}

// One refused client: counted by reason, and logged unless a flood of
// them is being summarised.
void Supervisor::NoteRefusal(ServiceState& state, const Connection& c, const Verdict& v,
                             const char* what, std::string_view why) {
  ++state.refused[static_cast<int>(v.refusal)];
  const bool unix_peer = c.remote.family() == AF_UNIX;
  const std::string subject = v.source.kind != Source::kNone ? v.source.ToString()
                              : unix_peer ? Client(c) : c.remote.Ip();
  const auto action = state.refusal_log.Note(EventLoop::Clock::now(), subject);
  if (action == LogThrottle::Action::kCountAndSchedule) {
    std::weak_ptr<ServiceState> weak = state.shared_from_this();
    loop_.AddTimer(EventLoop::Clock::now() + LogThrottle::kSummaryPeriod, [weak] {
      if (auto s = weak.lock()) LogRefusalSummary(*s);
    });
  }
  if (action != LogThrottle::Action::kLog) return;
  LOG_WARNING(state.service->name.c_str(), "refused %s from %s: %s", what, Client(c).c_str(),
              why.empty() ? Describe(v, state.service->policy).c_str() : std::string(why).c_str());
}

// The refusals a flood made too many to log one by one; at the end of the
// summary period, or earlier when superd stops or the service goes.
void Supervisor::LogRefusalSummary(ServiceState& state) {
  if (!state.refusal_log.pending()) return;
  const LogThrottle::Summary sum = state.refusal_log.TakeSummary();
  LOG_WARNING(state.service->name.c_str(), "refused %" PRIu64 " more from %s in the last %llds",
              sum.count, sum.subject.empty() ? "several sources" : sum.subject.c_str(),
              static_cast<long long>(LogThrottle::kSummaryPeriod.count()));
}

// Idle sources are forgotten once their bucket is full again, whether or
// not another client comes: memory follows the active clients.
void Supervisor::ScheduleSweep(ServiceState& state) {
  if (state.sweep) return;
  const auto at = state.admission.NextExpiry();
  if (!at) return;
  std::weak_ptr<ServiceState> weak = state.shared_from_this();
  state.sweep = loop_.AddTimer(*at, [this, weak] {
    auto s = weak.lock();
    if (!s) return;
    s->sweep.reset();
    s->admission.Sweep();
    ScheduleSweep(*s);
  });
}

// The next connection waiting on `listener`, and what is known of its
// client; invalid when none is waiting (or the listener must rest).
UniqueFd Supervisor::Accept(Listener& listener, Connection& c) {
  int fd;
  socklen_t len;
  do {
    len = c.remote.capacity();
    fd = accept4(listener.fd.get(), c.remote.get(), &len, SOCK_CLOEXEC);
  } while (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO));
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      if (!listener.accept_failing)
        LOG_WARNING(listener.owner->service->name.c_str(),
                    "unable to accept: %s; trying again every %lld ms", strerror(errno),
                    static_cast<long long>(kDescriptorBackoff.count()));
      listener.accept_failing = true;
      Rest(listener, kDescriptorBackoff);
    }
    return {};  // EAGAIN: drained
  }
  if (listener.accept_failing) LOG_INFO(listener.owner->service->name.c_str(), "accepting again");
  listener.accept_failing = false;
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

// Starts the instance for `c`; false when no process could be created (a
// pids cgroup, RLIMIT_NPROC, memory), and the caller's socket then rests:
// its other clients wait in the backlog rather than being accepted and
// closed one by one. One warning per episode.
bool Supervisor::Spawn(ServiceState& state, const std::shared_ptr<Listener>& waited,
                       int socket, const Connection& c, const Verdict& verdict) {
  const char* name = state.service->name.c_str();
  // Made at the first connection: most of a large table never gets one.
  if (!state.plan) state.plan = std::make_unique<SpawnPlan>(*state.service);
  state.plan->SetConnection(c);
  pid_t pid = spawner_->Spawn(*state.plan, socket);
  if (pid < 0) {
    ++state.failed;
    if (verdict.counted) state.admission.Ended(verdict.source);
    ScheduleSweep(state);
    SUPERD_LOG(state.fork_failing ? LogLevel::kDebug : LogLevel::kWarning, name,
               "unable to fork: %s; new clients wait, trying again every %lld ms",
               strerror(-pid), static_cast<long long>(kSpawnFailureBackoff.count()));
    state.fork_failing = true;
    if (waited) waited->busy = false;
    return false;
  }
  if (std::exchange(state.fork_failing, false)) LOG_INFO(name, "forking again");
  const auto now = std::chrono::steady_clock::now();
  std::optional<EventLoop::TimerId> deadline;
  if (state.service->timeout.count() > 0)
    deadline = loop_.AddTimer(now + state.service->timeout, [this, pid] { TimedOut(pid); });
  instances_.Add(pid, {state.shared_from_this(), waited, now, verdict, deadline});
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
  return true;
}

// `timeout`: SIGTERM to the instance's process group (it leads one, so this
// reaches whatever it started), then SIGKILL to the group 2 s later, even if
// the program itself has exited by then and left children behind.
void Supervisor::TimedOut(pid_t pid) {
  Instance* instance = instances_.Find(pid);
  if (instance == nullptr) return;
  instance->deadline.reset();
  const char* name = instance->service->service->name.c_str();
  LOG_WARNING(name, "pid %d timed out after %.3fs; SIGTERM to its process group", pid,
              SecondsSince(instance->started));
  if (kill(-pid, SIGTERM) != 0) kill(pid, SIGTERM);
  const auto started = instance->started;
  std::weak_ptr<ServiceState> weak = instance->service;
  loop_.AddTimer(EventLoop::Clock::now() + kTimeoutKillDelay, [this, pid, started, weak] {
    // A later instance that was given the same pid is not this one's group.
    if (const Instance* again = instances_.Find(pid); again && again->started != started)
      return;
    if (kill(-pid, SIGKILL) != 0) return;  // the whole group is gone
    auto s = weak.lock();
    LOG_WARNING(s ? s->service->name.c_str() : kSelf,
                "pid %d: process group still there %llds after the timeout; SIGKILL", pid,
                static_cast<long long>(kTimeoutKillDelay.count()));
  });
}

std::string Supervisor::Client(const Connection& c) {
  if (c.remote.family() == AF_UNIX)
    return "uid " + std::to_string(c.peer_uid);
  return c.remote.ToString();
}
// A connection waiting for its PROXY header holds the instance it will be.
bool Supervisor::CanSpawn(const ServiceState& state) const {
  return !stopping_ && state.running + state.awaiting_header < state.service->max_instances &&
         static_cast<int>(instances_.size() + intake_.size()) < table_->max_children;
}

// Back-pressure by not watching: a listener is polled only while its
// service may start another instance and no wait program holds it.
void Supervisor::Refresh(ServiceState& state) {
  const bool can = CanSpawn(state) && !state.paused;
  for (const auto& l : state.listeners)
    loop_.SetActive(l->fd.get(), can && !l->busy && !l->resting);
  const bool at_limit = state.running + state.awaiting_header >= state.service->max_instances;
  if (at_limit && !state.at_limit_logged && !state.service->wait)
    LOG_INFO(state.service->name.c_str(),
             "max_instances (%d) reached; new connections wait",
             state.service->max_instances);
  state.at_limit_logged = at_limit;
}

void Supervisor::Rest(Listener& listener, std::chrono::milliseconds time) {
  listener.resting = true;
  loop_.SetActive(listener.fd.get(), false);
  std::weak_ptr<Listener> weak = listener.shared_from_this();
  loop_.AddTimer(EventLoop::Clock::now() + time, [this, weak] {
    auto l = weak.lock();
    if (!l || !l->fd) return;  // closed by a reload or the shutdown
    l->resting = false;
    Refresh(*l->owner);
  });
}

void Supervisor::NoteFull() {
  if (full_logged_ || static_cast<int>(instances_.size()) < table_->max_children)
    return;
  full_logged_ = true;
  LOG_WARNING(kSelf, "max_children (%d) reached; new connections wait",
              table_->max_children);
  RefreshAll();
}

void Supervisor::RefreshAll() {
  for (const StatePtr& state : services_) Refresh(*state);
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
      case SIGHUP:
        if (!stopping_) Reload();
        break;
    }
  }
}

void Supervisor::Reap() {
  const bool was_full = static_cast<int>(instances_.size()) >= table_->max_children;
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    std::optional<Instance> instance = instances_.Remove(pid);
    if (!instance) continue;  // not ours (e.g. inherited)
    ServiceState& state = *instance->service;
    --state.running;
    if (instance->deadline) loop_.CancelTimer(*instance->deadline);
    if (instance->admitted.counted) {
      state.admission.Ended(instance->admitted.source);
      ScheduleSweep(state);
    }
    const std::optional<SpawnFailure> failure = spawner_->TakeFailure(pid);
    if (Listener* l = instance->waited.get()) {
      l->busy = false;
      if (std::exchange(l->adjust_pending, false) && l->owner && l->fd)
        Adjust(*l, *l->owner->service);
      if (failure && l->fd) Rest(*l, kSpawnFailureBackoff);
      if (!was_full && l->owner && l->owner != &state)
        Refresh(*l->owner);  // moved to another service by a reload
    }
    if (failure) {
      ++state.failed;
      LogFailure(state, *failure);
    } else {
      LogExit(state, pid, status, *instance);
    }
    if (!was_full) Refresh(state);
  }
  spawner_->RestoreDumpable();
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
  intake_.Clear();  // connections still waiting for their PROXY header close
  for (const StatePtr& state : services_) LogRefusalSummary(*state);
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
  loop_.AddTimer(EventLoop::Clock::now() + table_->shutdown_grace, [this] {
    LOG_WARNING(kSelf, "shutdown_grace over; killing %zu instances",
                instances_.size());
    instances_.SignalAll(SIGKILL);
  });
}

std::string Supervisor::Status() const {
  size_t listening = 0, sockets = 0;
  for (const StatePtr& state : services_) {
    listening += !state->service->disabled;
    sockets += state->listeners.size();
  }
  return std::to_string(listening) + " services listening on " +
         std::to_string(sockets) + " sockets, " +
         std::to_string(instances_.size()) + " instances running";
}

const char* Supervisor::State(const ServiceState& state) const {
  if (state.service->disabled) return "disabled";
  if (stopping_) return "stopping";
  if (state.paused) return "rate-limited";
  if (state.running >= state.service->max_instances) return "at-limit";
  for (const auto& l : state.listeners)
    if (!loop_.IsActive(l->fd.get())) return "paused";
  return "listening";
}

// SIGUSR1: one line per service, key=value, for people and scripts alike.
void Supervisor::LogStats() {
  LOG_INFO(kSelf, "stats: %s", Status().c_str());
  for (const StatePtr& state : services_)
    LOG_INFO(state->service->name.c_str(), "%s", StatsLine(*state, State(*state)).c_str());
}

void Supervisor::CloseListeners() {
  for (const StatePtr& state : services_)
    for (const auto& l : state->listeners) Close(*l);
}

}  // namespace superd
