#include "activation.hpp"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace superd {

ActivationSockets::ActivationSockets() {
  char** names = nullptr;
  const int n = sd_listen_fds_with_names(1, &names);
  for (int i = 0; i < n; ++i) {
    passed_.push_back({UniqueFd(SD_LISTEN_FDS_START + i),
                       names && names[i] ? names[i] : "unknown"});
  }
  if (names != nullptr) {
    for (int i = 0; i < n; ++i) free(names[i]);
    free(names);
  }
}

UniqueFd ActivationSockets::Take(const Endpoint& endpoint, int socktype) {
  const SocketAddress& a = endpoint.address;
  for (Passed& p : passed_) {
    if (!p.fd) continue;
    const int listening = socktype == SOCK_STREAM ? 1 : -1;
    const bool match =
        a.family() == AF_UNIX
            ? sd_is_socket_unix(p.fd.get(), socktype, listening,
                                a.UnixPath().c_str(), 0) > 0
            : sd_is_socket_sockaddr(p.fd.get(), socktype, a.get(), a.size(),
                                    listening) > 0;
    if (match) return std::move(p.fd);
  }
  return {};
}

std::vector<ActivationSockets::Unused> ActivationSockets::CloseRest() {
  std::vector<Unused> unused;
  for (Passed& p : passed_)
    if (p.fd) unused.push_back({p.fd.get(), p.name});
  passed_.clear();  // closes them
  return unused;
}

}  // namespace superd
