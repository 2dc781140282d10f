// SignalSet: the signals superd handles, turned into loop events. They are
// blocked and read from a signalfd, so no handler ever runs; reaping,
// shutdown and the rest happen in the loop. Children start with an empty
// mask (the spawner resets it).
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <initializer_list>
#include <string>

#include "fd.hpp"

namespace superd {

class SignalSet {
 public:
  // Blocks `signals` and opens a non-blocking, close-on-exec signalfd.
  // SIGPIPE is ignored (a client that leaves is not a reason to die); every
  // other signal ignored by our parent is reset to its default.
  // On failure, fd() is invalid and error() says why.
  explicit SignalSet(std::initializer_list<int> signals);
  ~SignalSet();

  int fd() const { return fd_.get(); }
  const std::string& error() const { return error_; }
  // The next pending signal, or 0 when there is none. Reads several at a
  // time: a read that returns fewer than asked for has drained the queue,
  // so the 0 after it costs no system call (the signalfd stays readable
  // for whatever arrives later, and the loop polls it again).
  int Next();

 private:
  static constexpr int kBatch = 8;
  signalfd_siginfo pending_[kBatch];
  int count_ = 0, next_ = 0;
  sigset_t set_;
  UniqueFd fd_;
  std::string error_;
};

}  // namespace superd
