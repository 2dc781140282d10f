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
  if (next_ == count_) {
    const bool drained = count_ > 0 && count_ < kBatch;
    next_ = count_ = 0;
    if (drained) return 0;
    const ssize_t n = ::read(fd_.get(), pending_, sizeof pending_);
    if (n <= 0) return 0;
    count_ = static_cast<int>(n / sizeof pending_[0]);
  }
  return static_cast<int>(pending_[next_++].ssi_signo);
}

}  // namespace superd
