#include "proxy_intake.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace superd {
namespace {

void SetBlocking(int fd, bool blocking) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
}

ProxyParse Failed(std::string why) {
  ProxyParse parse;
  parse.status = ProxyStatus::kInvalid;
  parse.error = std::move(why);
  return parse;
}

}  // namespace

void ProxyIntake::Add(UniqueFd fd, Done done) {
  const int raw = fd.get();
  SetBlocking(raw, false);
  const auto deadline = loop_.AddTimer(EventLoop::Clock::now() + kDeadline, [this, raw] {
    Finish(raw, Failed("no PROXY header within " + std::to_string(kDeadline.count()) + "s"));
  });
  waiting_.emplace(raw, Waiting{std::move(fd), {}, deadline, std::move(done)});
  loop_.Watch(raw, [this, raw] { OnReadable(raw); });
}

// Peeks at what has come after the header's bytes so far; takes it while
// the header goes on, and exactly the rest of the header once it ends.
void ProxyIntake::OnReadable(int fd) {
  Waiting& w = waiting_.at(fd);
  char buffer[kMaxProxyHeader];
  const size_t room = kMaxProxyHeader - w.got.size();
  const ssize_t n = recv(fd, buffer, room == 0 ? 1 : room, MSG_PEEK);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) return Finish(fd, Failed(std::string("reading its PROXY header: ") + strerror(errno)));
  if (n == 0) return Finish(fd, Failed("closed before the end of its PROXY header"));
  const std::string seen = w.got + std::string(buffer, static_cast<size_t>(n));
  ProxyParse parse = ParseProxyHeader(seen);
  size_t take = static_cast<size_t>(n);
  if (parse.status == ProxyStatus::kComplete) take = parse.header.length - w.got.size();
  if (parse.status != ProxyStatus::kInvalid && recv(fd, buffer, take, 0) != static_cast<ssize_t>(take))
    return Finish(fd, Failed("reading its PROXY header: " + std::string(strerror(errno))));
  w.got.append(buffer, parse.status == ProxyStatus::kInvalid ? 0 : take);
  if (parse.status != ProxyStatus::kIncomplete) Finish(fd, std::move(parse));
}

void ProxyIntake::Finish(int fd, ProxyParse parse) {
  auto it = waiting_.find(fd);
  if (it == waiting_.end()) return;
  Waiting w = std::move(it->second);
  waiting_.erase(it);
  loop_.Unwatch(fd);
  loop_.CancelTimer(w.deadline);
  SetBlocking(fd, true);
  w.done(std::move(w.fd), parse);
}

void ProxyIntake::Clear() {
  for (auto& [fd, w] : waiting_) {
    loop_.Unwatch(fd);
    loop_.CancelTimer(w.deadline);
  }
  waiting_.clear();
}

}  // namespace superd
