#include "proxy_intake.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace superd {
namespace {

ProxyParse Failed(std::string why) {
  ProxyParse parse;
  parse.status = ProxyStatus::kInvalid;
  parse.error = std::move(why);
  return parse;
}

}  // namespace

void ProxyIntake::Add(UniqueFd fd, Done done) {
  const int raw = fd.get();
  waiting_.emplace(raw, Waiting{std::move(fd), {}, std::nullopt, std::move(done)});
  // A balancer sends the header at once: it has usually come with the
  // connection, and is read without a trip through poll.
  if (Read(raw, true)) return;
  Waiting& w = waiting_.at(raw);
  w.deadline = loop_.AddTimer(EventLoop::Clock::now() + kDeadline, [this, raw] {
    Finish(raw, Failed("no PROXY header within " + std::to_string(kDeadline.count()) + "s"),
           false);
  });
  loop_.Watch(raw, [this, raw] { Read(raw, false); });
}

// Peeks at what has come after the header's bytes so far; takes it while
// the header goes on, and exactly the rest of the header once it ends.
// (MSG_DONTWAIT: the socket itself stays blocking, as the program gets it.)
// Whether the wait is over.
bool ProxyIntake::Read(int fd, bool at_once) {
  Waiting& w = waiting_.at(fd);
  char buffer[kMaxProxyHeader];
  const size_t room = kMaxProxyHeader - w.got.size();
  const ssize_t n = recv(fd, buffer, room == 0 ? 1 : room, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n < 0)
    return Finish(fd, Failed(std::string("reading its PROXY header: ") + strerror(errno)),
                  at_once);
  if (n == 0) return Finish(fd, Failed("closed before the end of its PROXY header"), at_once);
  const std::string_view peeked(buffer, static_cast<size_t>(n));
  ProxyParse parse =
      ParseProxyHeader(w.got.empty() ? peeked : w.got + std::string(peeked));  // usually empty
  if (parse.status == ProxyStatus::kInvalid) return Finish(fd, std::move(parse), at_once);
  const size_t take = parse.status == ProxyStatus::kComplete
                          ? parse.header.length - w.got.size()
                          : static_cast<size_t>(n);
  if (recv(fd, buffer, take, MSG_DONTWAIT) != static_cast<ssize_t>(take))
    return Finish(fd, Failed("reading its PROXY header: " + std::string(strerror(errno))),
                  at_once);
  if (parse.status == ProxyStatus::kComplete) return Finish(fd, std::move(parse), at_once);
  w.got.append(buffer, take);
  return false;
}

bool ProxyIntake::Finish(int fd, ProxyParse parse, bool at_once) {
  auto it = waiting_.find(fd);
  if (it == waiting_.end()) return true;
  Waiting w = std::move(it->second);
  waiting_.erase(it);
  loop_.Unwatch(fd);
  if (w.deadline) loop_.CancelTimer(*w.deadline);
  w.done(std::move(w.fd), parse, at_once);
  return true;
}

void ProxyIntake::Clear() {
  for (auto& [fd, w] : waiting_) {
    loop_.Unwatch(fd);
    if (w.deadline) loop_.CancelTimer(*w.deadline);
  }
  waiting_.clear();
}

}  // namespace superd
