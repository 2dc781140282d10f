#include "privileges.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace superd {

bool CanSwitchUser() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return geteuid() == 0;
  const auto has = [&data](int cap) {
    return (data[cap / 32].effective >> (cap % 32)) & 1U;
  };
  return has(CAP_SETUID) && has(CAP_SETGID);
}

bool Switches(const Credentials& credentials) {
  return geteuid() == 0 || credentials.uid != geteuid() || credentials.gid != getegid();
}

}  // namespace superd
