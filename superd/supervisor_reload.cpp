// The supervisor's reloads: SIGHUP, or a change to the table's files
// (`watch`), loads the table off the loop and puts it in force, keeping
// what stays. See supervisor.cpp for the rest of the class.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_map>
#include <utility>

#include "listener.hpp"
#include "log.hpp"
#include "notify.hpp"
#include "reload.hpp"
#include "stats.hpp"
#include "supervisor.hpp"
#include "table_load.hpp"

namespace superd {
namespace {

// `watch`: how long a change must be quiet before the reload, and the
// longest a stream of changes may put it off.
constexpr auto kSettle = std::chrono::milliseconds(200);
constexpr auto kSettleMost = std::chrono::milliseconds(1000);

}  // namespace

// SIGHUP: an invalid table, or a socket that cannot be bound, changes
// nothing; otherwise sockets whose address and protocol stay are kept (with
// their backlog), new ones are bound before anything is closed, and
// removed services stop listening while their instances finish.
void Supervisor::Reload() {
  if (load_) {  // one load at a time; this SIGHUP is served right after it
    reload_again_ = true;
    return;
  }
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  Notify("RELOADING=1\nMONOTONIC_USEC=" +
         std::to_string(now.tv_sec * 1000000LL + now.tv_nsec / 1000));
  LOG_INFO(kSelf, "reloading %s", table_->path.c_str());
  load_ = std::make_unique<TableLoad>(table_->path);
  if (load_->fd() < 0) return OnTableLoaded();
  loop_.Watch(load_->fd(), [this] { OnTableLoaded(); });
}

// The table loaded off the loop: applied here, unless superd is stopping.
void Supervisor::OnTableLoaded() {
  if (load_->fd() >= 0) loop_.Unwatch(load_->fd());
  LoadResult loaded = load_->Take();
  load_.reset();
  if (stopping_) return;
  Apply(std::move(loaded));
  WatchTable();  // the files of the table now in force
  if (std::exchange(reload_again_, false)) Reload();
}

// `watch`: the files of the table in force, and the directories its
// patterns name.
void Supervisor::WatchTable() {
  if (!table_->watch) {
    if (watching_) loop_.Unwatch(watch_.fd());
    watching_ = false;
    return watch_.Watch({}, {});
  }
  watch_.Watch(table_->files, table_->patterns);
  if (!watch_.error().empty())
    LOG_WARNING(kSelf, "changes will need SIGHUP: unable to watch %s", watch_.error().c_str());
  if (!watching_ && watch_.fd() >= 0) loop_.Watch(watch_.fd(), [this] { OnTableChanged(); });
  watching_ = watch_.fd() >= 0;
}

// A file of the table changed: reloaded once the writes have settled (a
// file rewritten in place, several files saved together), but no later
// than kSettleMost after the first change.
void Supervisor::OnTableChanged() {
  if (!watch_.Changed()) return;
  const auto now = EventLoop::Clock::now();
  if (settle_)
    loop_.CancelTimer(*settle_);
  else
    first_change_ = now;
  settle_ = loop_.AddTimer(std::min(now + kSettle, first_change_ + kSettleMost), [this] {
    settle_.reset();
    LOG_INFO(kSelf, "the table's files changed");
    Reload();
  });
}

void Supervisor::Apply(LoadResult loaded) {
  const auto started = std::chrono::steady_clock::now();
  struct Timed {  // how long the loop was busy with it, for the curious
    std::chrono::steady_clock::time_point since;
    ~Timed() { LOG_DEBUG(kSelf, "reload applied in %.1f ms", SecondsSince(since) * 1000); }
  } timed{started};
  if (!loaded.table) {
    for (const Diagnostic& d : loaded.diagnostics.errors())
      LOG_ERROR(kSelf, "reload abandoned: %s", Diagnostics::Format(d).c_str());
    Notify("READY=1\nSTATUS=" + Status());
    return;
  }
  for (const Diagnostic& d : loaded.diagnostics.warnings())
    LOG_WARNING(kSelf, "%s", Diagnostics::Format(d).c_str());
  auto table = std::make_shared<const ServiceTable>(std::move(*loaded.table));
  const auto abandon = [this](const char* why) {
    LOG_ERROR(kSelf, "reload abandoned: %s; nothing changed", why);
    Notify("READY=1\nSTATUS=" + Status());
  };
  if (!MaySwitchUsers(*table)) return abandon("superd may not switch users");

  std::vector<std::shared_ptr<Listener>> old;
  std::vector<SocketKey> keys;
  for (const StatePtr& state : services_) {
    for (const auto& l : state->listeners) {
      old.push_back(l);
      keys.push_back({l->endpoint->address, state->service->protocol, l->endpoint->dual_stack,
                      l->reuse_port});
    }
  }
  const ReloadPlan plan = PlanReload(keys, *table);
  std::vector<std::vector<std::shared_ptr<Listener>>> listeners(table->services.size());
  bool ok = true;
  for (size_t s = 0; s < table->services.size(); ++s) {
    const Service& service = table->services[s];
    for (size_t e = 0; e < plan.keep[s].size(); ++e) {
      auto listener = plan.keep[s][e] ? old[*plan.keep[s][e]]
                                      : Open(service, service.listen[e]);
      if (!listener) ExplainBindConflict(service, service.listen[e], plan, keys);
      ok = ok && listener != nullptr;
      listeners[s].push_back(std::move(listener));
    }
  }
  // The sockets just opened close with `listeners`.
  if (!ok) return abandon("a new socket could not be bound");
  std::vector<std::shared_ptr<Listener>> closing;
  for (size_t i : plan.close) closing.push_back(old[i]);
  Commit(std::move(table), std::move(listeners), closing);
}

// A new socket that cannot be bound because an old one this reload would
// close holds its port (`*:P` becoming `[::]:P`, a udp wildcard becoming
// one address): new sockets are bound before old ones close, so that no
// client is refused, which makes such a change one for a restart.
void Supervisor::ExplainBindConflict(const Service& service, const Endpoint& endpoint,
                                     const ReloadPlan& plan,
                                     const std::vector<SocketKey>& old) {
  for (size_t i : plan.close) {
    const SocketKey& k = old[i];
    if (k.protocol != service.protocol || k.address.family() == AF_UNIX ||
        k.address.Port() != endpoint.address.Port())
      continue;
    const std::string was = k.dual_stack ? "*:" + std::to_string(k.address.Port())
                                         : k.address.ToString();
    LOG_ERROR(service.name.c_str(), "%s would replace %s on the same port, which superd "
              "closes only once the new socket is bound; restart superd to make this change",
              EndpointName(endpoint).c_str(), was.c_str());
    return;
  }
}

void Supervisor::Commit(std::shared_ptr<const ServiceTable> table,
                        std::vector<std::vector<std::shared_ptr<Listener>>> listeners,
                        const std::vector<std::shared_ptr<Listener>>& closing) {
  for (const auto& l : closing) {  // while their table is alive
    Close(*l);
    l->owner = nullptr;  // an instance may hold it longer than its service
  }
  std::unordered_map<std::string, StatePtr> previous;
  for (StatePtr& state : services_) previous[state->service->name] = std::move(state);
  services_.clear();
  size_t kept = 0, opened = 0;
  for (size_t s = 0; s < table->services.size(); ++s) {
    const Service& service = table->services[s];
    StatePtr state;  // the same service keeps its counters and instances
    if (auto it = previous.find(service.name); it != previous.end()) {
      state = std::move(it->second);
      previous.erase(it);
      if (state->plan) spawner_->Retire(std::move(state->plan));
    } else {
      state = std::make_shared<ServiceState>(clock_);
    }
    state->table = table;
    state->service = &service;
    if (state->admission.Configure(service.policy) && state->resume) {
      loop_.CancelTimer(*state->resume);  // the old rate's pause is over
      state->resume.reset();
      state->paused = false;
    }
    state->at_limit_logged = false;
    state->listeners = std::move(listeners[s]);
    for (size_t e = 0; e < state->listeners.size(); ++e) {
      Listener& l = *state->listeners[e];
      const bool fresh = l.owner == nullptr;
      l.endpoint = &service.listen[e];
      l.owner = state.get();
      if (fresh) {
        Watch(state->listeners[e]);
        ++opened;
        continue;
      }
      ++kept;  // the new settings apply to the socket superd keeps, but
      // not under a wait program that still uses it (its blocking mode is
      // that program's too): once it exits.
      l.adjust_pending = l.busy;
      if (!l.busy) Adjust(l, service);
    }
    services_.push_back(std::move(state));
  }
  for (auto& [name, state] : previous) {
    LogRefusalSummary(*state);
    state->listeners.clear();  // stopped listening; instances finish
    if (state->running > 0)
      LOG_INFO(name.c_str(), "removed; %d instances left to finish", state->running);
  }
  table_ = std::move(table);
  RefreshAll();
  LOG_INFO(kSelf, "reloaded: %s (%zu sockets kept, %zu opened, %zu closed)",
           Status().c_str(), kept, opened, closing.size());
  Notify("READY=1\nSTATUS=" + Status());
}

}  // namespace superd
