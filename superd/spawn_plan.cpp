#include "spawn_plan.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "privileges.hpp"

namespace superd {
namespace {
const char* const kSlotNames[] = {
    "PROTO",       "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP",
    "TCPLOCALPORT", "REMOTE_ADDR", "REMOTE_PORT",  "REMOTE_HOST",
    "IPCREMOTEEUID", "IPCREMOTEEGID", "PROXY_ADDR",    "PROXY_PORT"};
}  // namespace

SpawnPlan::SpawnPlan(const Service& service)
    : program_(service.program),
      argv0_(service.argv0.empty() ? service.program : service.argv0),
      args_(service.args),
      nice_(service.nice),
      umask_(service.umask),
      working_directory_(service.working_directory),
      stderr_mode_(service.stderr_mode) {
  argv_.push_back(argv0_.data());
  for (std::string& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);

  // The service's `env` overrides any variable superd sets.
  auto overridden = [&](const std::string& name) {
    for (const auto& [k, v] : service.env)
      if (k == name) return true;
    return false;
  };
  if (!overridden("PATH")) constant_env_.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  if (!overridden("SUPERD_SERVICE")) constant_env_.push_back("SUPERD_SERVICE=" + service.name);
  for (const auto& [k, v] : service.env) constant_env_.push_back(k + "=" + v);
  for (int s = 0; s < kSlotCount; ++s) overridden_[s] = overridden(kSlotNames[s]);
  for (std::string& e : constant_env_) envp_.push_back(e.data());
  constant_count_ = envp_.size();
  envp_.resize(constant_count_ + kSlotCount + 1, nullptr);

  for (const Rlimit& r : service.rlimits)
    rlimits_.push_back({r.resource, {r.value, r.value}});
  if (service.credentials) {
    credentials_ = *service.credentials;
    change_credentials_ = Switches(credentials_);
  }
}

void SpawnPlan::Set(Slot slot, const char* value) {
  if (overridden_[slot]) return;
  char* buf = slots_[slot].data();
  snprintf(buf, slots_[slot].size(), "%s=%s", kSlotNames[slot], value);
  size_t used = constant_count_;
  while (envp_[used] != nullptr) ++used;
  envp_[used] = buf;
}

void SpawnPlan::SetConnection(const Connection& c) {
  std::fill(envp_.begin() + constant_count_, envp_.end(), nullptr);
  const bool unix_socket = c.local.family() == AF_UNIX;
  Set(kProto, unix_socket ? "IPC" : c.socktype == SOCK_DGRAM ? "UDP" : "TCP");
  if (c.wait) return;  // the program owns the socket; no client yet
  char number[2][16];
  if (unix_socket) {
    snprintf(number[0], sizeof number[0], "%u", static_cast<unsigned>(c.peer_uid));
    snprintf(number[1], sizeof number[1], "%u", static_cast<unsigned>(c.peer_gid));
    Set(kIpcRemoteEuid, number[0]);
    Set(kIpcRemoteEgid, number[1]);
    return;
  }
  const std::string remote_ip = c.remote.Ip(), local_ip = c.local.Ip();
  snprintf(number[0], sizeof number[0], "%u", c.remote.Port());
  snprintf(number[1], sizeof number[1], "%u", c.local.Port());
  Set(kTcpRemoteIp, remote_ip.c_str());
  Set(kTcpRemotePort, number[0]);
  Set(kTcpLocalIp, local_ip.c_str());
  Set(kTcpLocalPort, number[1]);
  Set(kRemoteAddr, remote_ip.c_str());
  Set(kRemotePort, number[0]);
  Set(kRemoteHost, remote_ip.c_str());
  if (c.proxy.family() == AF_INET || c.proxy.family() == AF_INET6) {
    const std::string proxy_ip = c.proxy.Ip();
    snprintf(number[0], sizeof number[0], "%u", c.proxy.Port());
    Set(kProxyAddr, proxy_ip.c_str());
    Set(kProxyPort, number[0]);
  }
}

}  // namespace superd
