// SpawnPlan: everything a child needs, prepared in the parent once per
// service when the table loads: argv, the constant environment, credentials,
// umask, nice, working directory, stderr. Per connection only the UCSPI
// variables are written, into fixed buffers, by SetConnection(): no
// allocation on the spawn path. The spawner's child reads the plan and makes
// only system calls; the plan must outlive every child that has not yet
// exec'd.
#pragma once

#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

#include "address.hpp"
#include "table.hpp"

namespace superd {

// What superd knows of one connection (or, for wait services, the socket).
struct Connection {
  bool wait = false;        // the program gets the listening socket itself
  int socktype = 0;         // SOCK_STREAM or SOCK_DGRAM
  SocketAddress local;      // the endpoint's address
  SocketAddress remote;     // the client (nowait inet; with proxy_protocol,
                            // the one the PROXY header names)
  uid_t peer_uid = 0;       // the client's credentials (nowait unix stream)
  gid_t peer_gid = 0;
  SocketAddress proxy;      // the load balancer that sent a PROXY header
};

class SpawnPlan {
 public:
  explicit SpawnPlan(const Service& service);
  SpawnPlan(const SpawnPlan&) = delete;  // argv/envp point into the plan
  SpawnPlan& operator=(const SpawnPlan&) = delete;

  // Fills the per-connection variables of envp.
  void SetConnection(const Connection& connection);

  const char* program() const { return program_.c_str(); }
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }
  // envp()[0, constant_env_count()) are the same for every connection.
  size_t constant_env_count() const { return constant_count_; }

  // Applied in the child, in this order, before exec.
  const Credentials* credentials() const {
    return change_credentials_ ? &credentials_ : nullptr;
  }
  int nice() const { return nice_; }
  // `rlimits`: {resource, {soft, hard}} for prlimit64(2).
  struct Limit {
    int resource;
    unsigned long long value[2];
  };
  const std::vector<Limit>& rlimits() const { return rlimits_; }
  mode_t umask() const { return umask_; }
  const char* working_directory() const { return working_directory_.c_str(); }
  StderrMode stderr_mode() const { return stderr_mode_; }

 private:
  enum Slot {
    kProto, kTcpRemoteIp, kTcpRemotePort, kTcpLocalIp, kTcpLocalPort,
    kRemoteAddr, kRemotePort, kRemoteHost, kIpcRemoteEuid, kIpcRemoteEgid,
    kProxyAddr, kProxyPort, kSlotCount
  };
  void Set(Slot slot, const char* value);

  std::string program_;
  std::string argv0_;
  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::vector<std::string> constant_env_;  // "NAME=value"
  std::array<bool, kSlotCount> overridden_{};  // by the service's `env`
  std::array<std::array<char, 80>, kSlotCount> slots_{};
  std::vector<char*> envp_;  // constant part, then the slots in use, nullptr
  size_t constant_count_ = 0;

  bool change_credentials_ = false;
  Credentials credentials_;
  int nice_ = 0;
  std::vector<Limit> rlimits_;
  mode_t umask_ = 022;
  std::string working_directory_;
  StderrMode stderr_mode_ = StderrMode::kInherit;
};

}  // namespace superd
