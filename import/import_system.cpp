#include "import_system.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace superd::import {
namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c >= '0' && c <= '9';
  });
}

std::optional<gid_t> GroupId(const std::string& group) {
  if (AllDigits(group)) return static_cast<gid_t>(std::strtoul(group.c_str(), nullptr, 10));
  const struct group* g = getgrnam(group.c_str());
  if (g == nullptr) return std::nullopt;
  return g->gr_gid;
}

class RealSystem : public ImportSystem {
 public:
  std::optional<int> ServicePort(const std::string& name,
                                 const std::string& protocol) const override {
    const servent* s = getservbyname(name.c_str(), protocol.c_str());
    if (s == nullptr) return std::nullopt;
    return ntohs(static_cast<uint16_t>(s->s_port));
  }

  bool UserExists(const std::string& name) const override {
    return getpwnam(name.c_str()) != nullptr;
  }

  bool GroupExists(const std::string& name) const override {
    return getgrnam(name.c_str()) != nullptr;
  }

  std::vector<std::string> OtherGroups(const std::string& name,
                                       const std::string& group) const override {
    const passwd* pw = AllDigits(name) ? getpwuid(std::strtoul(name.c_str(), nullptr, 10))
                                       : getpwnam(name.c_str());
    if (pw == nullptr) return {};
    const std::string user = pw->pw_name;
    const gid_t primary = pw->pw_gid;
    const gid_t runs_as = group.empty() ? primary : GroupId(group).value_or(primary);
    // What superd gives: the group it runs the program with and every
    // group that lists the user.
    std::vector<gid_t> gids(64);
    int n = static_cast<int>(gids.size());
    while (getgrouplist(user.c_str(), runs_as, gids.data(), &n) < 0) {
      gids.resize(n > static_cast<int>(gids.size()) ? n : gids.size() * 2);
      n = static_cast<int>(gids.size());
    }
    gids.resize(n);
    std::vector<std::string> others;
    for (gid_t gid : gids) {
      if (gid == runs_as) continue;
      const struct group* g = getgrgid(gid);
      std::string label = g ? g->gr_name : std::to_string(gid);
      if (std::find(others.begin(), others.end(), label) == others.end())
        others.push_back(std::move(label));
    }
    return others;
  }

  bool Executable(const std::string& path) const override {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           access(path.c_str(), X_OK) == 0;
  }

  bool Resolves(const std::string& host) const override {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0) return false;
    freeaddrinfo(result);
    return true;
  }
};

}  // namespace

const ImportSystem& RealImportSystem() {
  static const RealSystem system;
  return system;
}

}  // namespace superd::import
