// Detaching for SysV init (--daemon) and the pid file (--pid-file). Used
// by main only, before and after the supervisor runs; never logs.
#pragma once

#include <sys/types.h>

#include <string>

#include "fd.hpp"

namespace superd {

// Forks into the background: the parent waits until the daemon reports
// that it is serving (or why it is not) and exits with that status, so an
// init script learns whether the start worked. The daemon is in a new
// session, in /, with stdin and stdout on /dev/null; stderr stays until the
// start is reported, so that "unable to bind" reaches the terminal. Returns
// the descriptor the daemon reports through, or an invalid one with the
// reason in `error`.
UniqueFd Detach(std::string& error);

// Tells the waiting parent of Detach() the exit status it should exit with
// and, once started, moves stderr to /dev/null too. No-op without Detach.
void ReportStarted(UniqueFd& report, int status);

// The pid file: this process's pid, under an exclusive flock(2) held for
// superd's life, so that of two superds started at once exactly one gets
// it, and only the holder ever removes it. Opened without following a
// symbolic link, and only a regular file with one link is written: a file
// planted at the path cannot make root truncate another one.
class PidFile {
 public:
  // Locks `path` (created if need be) and writes this process's pid into
  // it. Refuses, with the reason in `error`, when another superd holds it
  // (or, for a file no one holds, names another running superd); a stale
  // file is reused.
  bool Create(const std::string& path, std::string& error, int attempts = 3);
  // The refusal of Create, alone: to be told before detaching.
  static bool Free(const std::string& path, std::string& error);
  // Removes the file and lets go of it.
  void Remove();
  ~PidFile() { Remove(); }

 private:
  std::string path_;
  UniqueFd fd_;  // holds the lock
};

}  // namespace superd
