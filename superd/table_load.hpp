// TableLoad: LoadTable() on a thread of its own, for SIGHUP. Loading
// resolves host names, looks users and groups up (NSS: LDAP, sssd) and
// stats every program: a slow resolver or directory must not stall the
// loop, which goes on accepting, reaping and obeying SIGTERM meanwhile.
// fd() becomes readable when the result is ready; the loop then takes it
// and commits it there.
//
// The thread only loads: it logs nothing and touches nothing of the loop.
// It is detached, so that a superd asked to stop never waits for a load
// stuck in a look-up; what it shares with the loop (the result and the
// descriptor) lives as long as either side holds it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "table_loader.hpp"

namespace superd {

class TableLoad {
 public:
  // Starts loading `path`. On failure to start a thread, the result is
  // ready at once with the reason.
  explicit TableLoad(const std::string& path);
  ~TableLoad();
  TableLoad(const TableLoad&) = delete;
  TableLoad& operator=(const TableLoad&) = delete;

  int fd() const;  // readable once the result is ready (an eventfd)
  // The result; call once, when fd() is readable.
  LoadResult Take();

  // Whether a load thread is still running (superd stopped during a slow
  // reload): the process must then end with _exit(2), without running
  // static destructors under the thread's feet.
  static bool AnyRunning() { return running_.load() > 0; }

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  static inline std::atomic<int> running_{0};
};

}  // namespace superd
