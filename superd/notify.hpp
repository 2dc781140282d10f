// The service manager's notification protocol (sd_notify(3)), through
// libsystemd: READY=1, RELOADING=1, STOPPING=1, STATUS=... A no-op where no
// service manager listens (NOTIFY_SOCKET unset). With activation.cpp, the
// only libsystemd user.
#pragma once

#include <string>

namespace superd {

// Sends `state`, newline-separated assignments such as "READY=1".
void Notify(const std::string& state);

}  // namespace superd
