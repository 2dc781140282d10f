#include "accounts.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace superd {
namespace {

// The user's supplementary groups from the group database, `gid` first.
std::vector<gid_t> GroupsOf(const std::string& user, gid_t gid) {
  int n = 64;
  std::vector<gid_t> groups(n);
  while (getgrouplist(user.c_str(), gid, groups.data(), &n) < 0) groups.resize(n *= 2);
  groups.resize(n);
  return groups;
}

}  // namespace

Parsed<User> FindUser(const std::string& text) {
  User user;
  const passwd* pw = nullptr;
  auto number = ParseInteger(text, 0, 0xfffffffe);
  if (auto* n = std::get_if<long long>(&number)) {
    user.uid = static_cast<uid_t>(*n);
    pw = getpwuid(user.uid);
  } else if ((pw = getpwnam(text.c_str())) == nullptr) {
    return "unknown user '" + text + "'";
  }
  if (pw != nullptr) {
    user.uid = pw->pw_uid;
    user.name = pw->pw_name;
    user.gid = pw->pw_gid;
  }
  return user;
}

Parsed<gid_t> FindGroup(const std::string& text) {
  auto number = ParseInteger(text, 0, 0xfffffffe);
  if (auto* n = std::get_if<long long>(&number)) return static_cast<gid_t>(*n);
  if (const struct group* gr = getgrnam(text.c_str())) return gr->gr_gid;
  return "unknown group '" + text + "'";
}

Credentials CredentialsOf(const std::optional<User>& user,
                          std::optional<gid_t> group) {
  Credentials creds;
  creds.uid = user ? user->uid : geteuid();
  if (user) creds.user_name = user->name;
  creds.gid = group ? *group : user ? user->gid : 0;
  creds.groups = creds.user_name.empty() ? std::vector<gid_t>{creds.gid}
                                         : GroupsOf(creds.user_name, creds.gid);
  return creds;
}

}  // namespace superd
