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

std::optional<ProxyParse> ReadProxyHeader(int fd, std::string& got) {
  char buffer[kMaxProxyHeader];
  const size_t room = kMaxProxyHeader - got.size();
  const ssize_t n = recv(fd, buffer, room == 0 ? 1 : room, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return std::nullopt;
  if (n < 0) return Failed(std::string("reading its PROXY header: ") + strerror(errno));
  if (n == 0) return Failed("closed before the end of its PROXY header");
  const std::string_view peeked(buffer, static_cast<size_t>(n));
  ProxyParse parse =
      ParseProxyHeader(got.empty() ? peeked : got + std::string(peeked));  // usually empty
  if (parse.status == ProxyStatus::kInvalid) return parse;
  const size_t take = parse.status == ProxyStatus::kComplete ? parse.header.length - got.size()
                                                             : static_cast<size_t>(n);
  if (recv(fd, buffer, take, MSG_DONTWAIT) != static_cast<ssize_t>(take))
    return Failed("reading its PROXY header: " + std::string(strerror(errno)));
  if (parse.status == ProxyStatus::kComplete) return parse;
  got.append(buffer, take);
  return std::nullopt;
}

void ProxyIntake::Add(UniqueFd fd, std::string got, Done done) {
  const int raw = fd.get();
  const auto deadline = loop_.AddTimer(EventLoop::Clock::now() + kDeadline, [this, raw] {
    Finish(raw, Failed("no PROXY header within " + std::to_string(kDeadline.count()) + "s"));
  });
  waiting_.emplace(raw, Waiting{std::move(fd), std::move(got), deadline, std::move(done)});
  loop_.Watch(raw, [this, raw] {
    if (auto parse = ReadProxyHeader(raw, waiting_.at(raw).got)) Finish(raw, std::move(*parse));
  });
}

void ProxyIntake::Finish(int fd, ProxyParse parse) {
  auto it = waiting_.find(fd);
  if (it == waiting_.end()) return;
  Waiting w = std::move(it->second);
  waiting_.erase(it);
  loop_.Unwatch(fd);
  loop_.CancelTimer(w.deadline);
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
