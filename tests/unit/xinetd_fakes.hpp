// Fakes for the tests of superd-import's modules: a file system in memory
// (XinetdFiles) and a machine (ImportSystem) with a few services, users,
// groups, programs and host names.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "import_system.hpp"
#include "xinetd_conf.hpp"

namespace superd::testing_fakes {

// A file system of a few files and directories, in memory.
class FakeFiles : public superd::XinetdFiles {
 public:
  FakeFiles& File(const std::string& path, const std::string& text) {
    files_[path] = text;
    return *this;
  }
  FakeFiles& Dir(const std::string& path) {
    dirs_.insert(path);
    return *this;
  }
  FakeFiles& Fifo(const std::string& path) {
    others_.insert(path);
    return *this;
  }

  Kind Stat(const std::string& path, std::string& error) override {
    if (files_.count(path)) return Kind::kRegular;
    if (dirs_.count(path)) return Kind::kDirectory;
    if (others_.count(path)) return Kind::kOther;
    error = "No such file or directory";
    return Kind::kMissing;
  }
  bool Read(const std::string& path, std::string& text, std::string& error) override {
    auto it = files_.find(path);
    if (it == files_.end()) {
      error = "No such file or directory";
      return false;
    }
    text = it->second;
    return true;
  }
  bool List(const std::string& dir, std::vector<std::string>& names, std::string& error) override {
    if (!dirs_.count(dir)) {
      error = "No such file or directory";
      return false;
    }
    // In no particular order, as readdir gives them.
    std::vector<std::string> found;
    for (const auto& set : {Keys(files_), dirs_, others_})
      for (const std::string& p : set)
        if (p.size() > dir.size() + 1 && p.starts_with(dir + "/") &&
            p.find('/', dir.size() + 1) == std::string::npos)
          found.push_back(p.substr(dir.size() + 1));
    names.assign(found.rbegin(), found.rend());
    return true;
  }

 private:
  static std::set<std::string> Keys(const std::map<std::string, std::string>& m) {
    std::set<std::string> keys;
    for (const auto& [k, v] : m) keys.insert(k);
    return keys;
  }
  std::map<std::string, std::string> files_;
  std::set<std::string> dirs_, others_;
};

// A Debian-like machine: /etc/services' echo, daytime, ftp, telnet,
// csync2; users root, nobody and tang; programs in /usr/sbin and the
// sample services in /usr/libexec/superd.
class FakeSystem : public import::ImportSystem {
 public:
  std::map<std::pair<std::string, std::string>, int> services = {
      {{"echo", "tcp"}, 7},     {{"echo", "udp"}, 7},      {{"daytime", "tcp"}, 13},
      {{"daytime", "udp"}, 13}, {{"chargen", "tcp"}, 19},  {{"ftp", "tcp"}, 21},
      {{"telnet", "tcp"}, 23},  {{"tftp", "udp"}, 69},     {{"csync2", "tcp"}, 30865},
      {{"time", "tcp"}, 37},    {{"tcpmux", "tcp"}, 1},    {{"discard", "tcp"}, 9}};
  std::set<std::string> users = {"root", "nobody", "tang", "staff"};
  std::set<std::string> groups = {"root", "nogroup", "adm", "tang"};
  std::map<std::string, std::vector<std::string>> other_groups = {{"staff", {"adm", "users"}}};
  std::set<std::string> executables = {
      "/usr/sbin/in.ftpd",          "/usr/sbin/tcpd",           "/usr/sbin/in.telnetd",
      "/usr/sbin/csync2",           "/usr/libexec/tangdx",      "/usr/sbin/in.tftpd",
      "/usr/libexec/superd/echo",   "/usr/libexec/superd/daytime"};
  std::set<std::string> hosts = {"localhost", "gateway.example.com"};

  std::optional<int> ServicePort(const std::string& name, const std::string& protocol) const override {
    auto it = services.find({name, protocol});
    if (it == services.end()) return std::nullopt;
    return it->second;
  }
  bool UserExists(const std::string& name) const override { return users.count(name) > 0; }
  bool GroupExists(const std::string& name) const override { return groups.count(name) > 0; }
  std::vector<std::string> OtherGroups(const std::string& name, const std::string& group) const override {
    auto it = other_groups.find(name);
    if (it == other_groups.end()) return {};
    std::vector<std::string> others;
    for (const std::string& g : it->second)
      if (g != group) others.push_back(g);
    return others;
  }
  bool Executable(const std::string& path) const override { return executables.count(path) > 0; }
  bool Resolves(const std::string& host) const override { return hosts.count(host) > 0; }
};

}  // namespace superd::testing_fakes
