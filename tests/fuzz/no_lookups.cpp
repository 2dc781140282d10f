// Keeps the fuzzed loader off the network and off the machine's user
// database. ParseTable resolves host names (getaddrinfo) and users and
// groups (getpwnam, getpwuid, getgrnam, getgrouplist); under the fuzzer
// those would be DNS or mDNS queries for random names, and NSS calls that
// may reach systemd-userdbd, LDAP or sssd. These definitions, linked into
// the fuzz executable only, take precedence over the C library's (and over
// the sanitizers' interceptors, which are weak), so superd's sources stay
// untouched:
//   - getaddrinfo answers numeric hosts only (AI_NUMERICHOST: never a
//     resolver query) and "localhost" with the loopback addresses, so the
//     several-addresses path of a listen entry is still exercised;
//   - users and groups come from a fixed database: root (0), daemon (1),
//     nobody/nogroup (65534);
//   - glob matches nothing: an `include` or `inetd_conf` pattern in a
//     fuzzed table reads none of the machine's files.
// getservbyname stays real: Debian's nsswitch reads /etc/services ("db
// files"), which is local.
#include <dlfcn.h>
#include <glob.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>

#include <cstring>

namespace {

struct User {
  const char* name;
  uid_t uid;
  gid_t gid;
};
constexpr User kUsers[] = {{"root", 0, 0}, {"daemon", 1, 1}, {"nobody", 65534, 65534}};

struct Group {
  const char* name;
  gid_t gid;
};
constexpr Group kGroups[] = {{"root", 0}, {"daemon", 1}, {"nogroup", 65534}};

passwd* AsPasswd(const User& u) {
  static passwd pw;
  static char empty[] = "";
  static char shell[] = "/bin/sh";
  static char home[] = "/";
  pw = passwd{};
  pw.pw_name = const_cast<char*>(u.name);
  pw.pw_passwd = empty;
  pw.pw_uid = u.uid;
  pw.pw_gid = u.gid;
  pw.pw_gecos = empty;
  pw.pw_dir = home;
  pw.pw_shell = shell;
  return &pw;
}

group* AsGroup(const Group& g) {
  static group gr;
  static char empty[] = "";
  static char* no_members[] = {nullptr};
  gr = group{};
  gr.gr_name = const_cast<char*>(g.name);
  gr.gr_passwd = empty;
  gr.gr_gid = g.gid;
  gr.gr_mem = no_members;
  return &gr;
}

}  // namespace

extern "C" {

int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                addrinfo** res) {
  using Real = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  addrinfo numeric = hints != nullptr ? *hints : addrinfo{};
  numeric.ai_flags |= AI_NUMERICHOST;
  // No node and no AI_PASSIVE: the loopback addresses.
  if (node != nullptr && std::strcmp(node, "localhost") == 0) node = nullptr;
  return real(node, service, &numeric, res);
}

passwd* getpwnam(const char* name) {
  for (const User& u : kUsers)
    if (std::strcmp(u.name, name) == 0) return AsPasswd(u);
  return nullptr;
}

passwd* getpwuid(uid_t uid) {
  for (const User& u : kUsers)
    if (u.uid == uid) return AsPasswd(u);
  return nullptr;
}

group* getgrnam(const char* name) {
  for (const Group& g : kGroups)
    if (std::strcmp(g.name, name) == 0) return AsGroup(g);
  return nullptr;
}

// No user has supplementary groups: the list is `group` alone.
int getgrouplist(const char*, gid_t group, gid_t* groups, int* ngroups) {
  if (*ngroups < 1) {
    *ngroups = 1;
    return -1;
  }
  groups[0] = group;
  *ngroups = 1;
  return 1;
}

}  // extern "C"

extern "C" int glob(const char*, int, int (*)(const char*, int), glob_t* found) {
  found->gl_pathc = 0;
  found->gl_pathv = nullptr;
  return GLOB_NOMATCH;
}

extern "C" void globfree(glob_t*) {}
