#include "signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace superd {

SignalSet::SignalSet(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  // Dispositions ignored by whoever started superd (nohup ignores SIGHUP)
  // would reach every program through exec, and an ignored signal never
  // reaches a signalfd: start from the defaults.
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction old {};
    if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      signal(s, SIG_DFL);
  }
  signal(SIGPIPE, SIG_IGN);
  if (sigprocmask(SIG_BLOCK, &set_, nullptr) != 0 ||
      !(fd_ = UniqueFd(signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC))))
    error_ = std::string("unable to create a signalfd: ") + strerror(errno);
}

SignalSet::~SignalSet() {
  fd_.Reset();
  sigprocmask(SIG_UNBLOCK, &set_, nullptr);
}

int SignalSet::Next() {
  signalfd_siginfo info;
  ssize_t n = ::read(fd_.get(), &info, sizeof info);
  return n == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
}

}  // namespace superd
