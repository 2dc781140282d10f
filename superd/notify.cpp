#include "notify.hpp"

#include <systemd/sd-daemon.h>

namespace superd {

void Notify(const std::string& state) { sd_notify(0, state.c_str()); }

}  // namespace superd
