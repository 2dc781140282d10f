#include "event_loop.hpp"

#include <sys/epoll.h>

#include <cerrno>

namespace superd {

EventLoop::EventLoop(Backend backend) : backend_(backend) {
  if (backend_ == Backend::kEpoll) StartEpoll();
}

void EventLoop::StartEpoll() {
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return;  // stay with poll()
  for (const pollfd& p : pollfds_)
    if (p.fd >= 0) EpollControl(EPOLL_CTL_ADD, p.fd);
}

void EventLoop::EpollControl(int op, int fd) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  epoll_ctl(epoll_.get(), op, fd, &event);
}

void EventLoop::Watch(int fd, Callback on_readable) {
  if (auto it = slot_.find(fd); it != slot_.end()) {
    callbacks_[it->second] = std::move(on_readable);
    SetActive(fd, true);
    return;
  }
  slot_[fd] = pollfds_.size();
  pollfds_.push_back({fd, POLLIN, 0});
  fds_.push_back(fd);
  callbacks_.push_back(std::move(on_readable));
  if (epoll_)
    EpollControl(EPOLL_CTL_ADD, fd);
  else if (backend_ == Backend::kAuto && pollfds_.size() > kEpollThreshold)
    StartEpoll();
}

void EventLoop::Unwatch(int fd) {
  auto it = slot_.find(fd);
  if (it == slot_.end()) return;
  size_t i = it->second, last = pollfds_.size() - 1;
  if (epoll_ && pollfds_[i].fd >= 0) EpollControl(EPOLL_CTL_DEL, fd);
  slot_.erase(it);
  if (i != last) {  // move the last slot into the hole
    pollfds_[i] = pollfds_[last];
    fds_[i] = fds_[last];
    callbacks_[i] = std::move(callbacks_[last]);
    slot_[fds_[i]] = i;
  }
  pollfds_.pop_back();
  fds_.pop_back();
  callbacks_.pop_back();
}

void EventLoop::SetActive(int fd, bool active) {
  auto it = slot_.find(fd);
  if (it == slot_.end() || (pollfds_[it->second].fd >= 0) == active) return;
  pollfds_[it->second].fd = active ? fd : -1;
  if (epoll_) EpollControl(active ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd);
}

bool EventLoop::IsActive(int fd) const {
  auto it = slot_.find(fd);
  return it != slot_.end() && pollfds_[it->second].fd >= 0;
}

EventLoop::TimerId EventLoop::AddTimer(Clock::time_point when,
                                       Callback callback) {
  TimerId id{when, next_timer_++};
  timers_.emplace(id, std::move(callback));
  return id;
}

void EventLoop::CancelTimer(const TimerId& id) { timers_.erase(id); }

int EventLoop::PollTimeoutMs() const {
  if (timers_.empty()) return -1;  // idle: no wake-ups at all
  auto wait = timers_.begin()->first.first - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up so that a deadline is never polled for early in a busy loop.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return ms > 1'000'000 ? 1'000'000 : static_cast<int>(ms);
}

void EventLoop::RunDueTimers() {
  const auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    Callback callback = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    callback();
  }
}

void EventLoop::Wait() {
  ready_.clear();
  if (epoll_) {
    epoll_event events[64];
    int n = epoll_wait(epoll_.get(), events, 64, PollTimeoutMs());
    for (int i = 0; i < n; ++i) ready_.push_back(events[i].data.fd);
    return;
  }
  int n = ::poll(pollfds_.data(), pollfds_.size(), PollTimeoutMs());
  for (size_t i = 0; n > 0 && i < pollfds_.size(); ++i) {
    if (pollfds_[i].fd >= 0 && pollfds_[i].revents != 0) {
      ready_.push_back(pollfds_[i].fd);
      --n;
    }
  }
}

void EventLoop::RunOnce() {
  Wait();
  // A callback may unwatch or pause others: look each one up again.
  for (int fd : ready_) {
    auto it = slot_.find(fd);
    if (it == slot_.end() || pollfds_[it->second].fd < 0) continue;
    Callback& callback = callbacks_[it->second];
    Callback copy = callback;  // survives Unwatch(fd) inside the callback
    copy();
  }
  RunDueTimers();
}

void EventLoop::Run() {
  stopped_ = false;
  while (!stopped_) RunOnce();
}

}  // namespace superd
