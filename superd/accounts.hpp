// Accounts: the user and group a service runs as, looked up in the password
// and group databases once, at load, by every reader of a table
// (table_loader for YAML, inetd_conf for inetd.conf), so that both give a
// program the same credentials. Each lookup returns the value or what is
// wrong with it, for the caller to place at a position; nothing here logs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "table.hpp"
#include "values.hpp"

namespace superd {

// A user as a table names it.
struct User {
  uid_t uid = 0;
  std::string name;  // from the password database; empty for a uid it lacks
  gid_t gid = 0;     // the primary group (only with a name)
};

// A user name or a numeric uid. A uid the password database does not know
// is a User without a name; an unknown name is "unknown user 'NAME'".
Parsed<User> FindUser(const std::string& text);

// A group name or a numeric gid; an unknown name is "unknown group 'NAME'".
Parsed<gid_t> FindGroup(const std::string& text);

// What a program runs as: `user` (superd's own uid when absent) with `group`
// (the user's primary group when absent), and the supplementary groups
// initgroups(3) would give: the user's groups in the group database, the gid
// first; only the gid for a group without a named user.
Credentials CredentialsOf(const std::optional<User>& user,
                          std::optional<gid_t> group);

}  // namespace superd
