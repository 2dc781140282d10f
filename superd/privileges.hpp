// Privileges: whether superd may run programs as another user. Switching
// needs CAP_SETUID and CAP_SETGID (setgroups, setresgid, setresuid in the
// child); root has both, and so does a service manager's unprivileged
// superd given them with AmbientCapabilities=.
#pragma once

#include "table.hpp"

namespace superd {

bool CanSwitchUser();

// Whether running a program as `credentials` means switching: always as
// root (which sets the groups exactly), otherwise only to another uid or
// gid (asking for what superd already is changes nothing).
bool Switches(const Credentials& credentials);

}  // namespace superd
