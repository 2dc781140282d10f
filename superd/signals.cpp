#include "signals.hpp"

#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace superd {

SignalSet::SignalSet(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  // Dispositions ignored by whoever started superd (nohup ignores SIGHUP)
  // would reach every program through exec, and an ignored signal never
  // reaches a signalfd: start from the defaults. Through the system call,
  // because glibc refuses to touch the two real-time signals it reserves
  // (32 and 33), which a parent may have ignored all the same.
  struct KernelSigaction {
    unsigned long handler, flags, restorer, mask;
  } old{}, dfl{};
  for (int s = 1; s < NSIG; ++s) {
    if (syscall(SYS_rt_sigaction, s, nullptr, &old, 8) == 0 &&
        old.handler == reinterpret_cast<unsigned long>(SIG_IGN))
      syscall(SYS_rt_sigaction, s, &dfl, nullptr, 8);
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
