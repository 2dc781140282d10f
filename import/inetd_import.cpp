#include "inetd_import.hpp"

#include <grp.h>

#include "inetd_conf.hpp"
#include "table_file.hpp"

namespace superd::import {
namespace {

// "256/1m", "50/1s": a rate as the table writes it.
std::string RateText(const Rate& rate) {
  const long long ms = rate.per.count();
  const std::string per = ms % 3'600'000 == 0 ? std::to_string(ms / 3'600'000) + "h"
                          : ms % 60'000 == 0  ? std::to_string(ms / 60'000) + "m"
                          : ms % 1000 == 0    ? std::to_string(ms / 1000) + "s"
                                              : std::to_string(ms) + "ms";
  return std::to_string(rate.count) + "/" + per;
}

std::string GroupName(gid_t gid) {
  const group* g = getgrgid(gid);
  return g ? g->gr_name : std::to_string(gid);
}

ImportedService Imported(const InetdService& entry, const std::string& file) {
  const Service& s = entry.service;
  ImportedService out;
  out.name = s.name;
  out.file = file;
  out.line = entry.position.line;
  for (const Endpoint& ep : s.listen) {
    if (out.listen.empty() || out.listen.back() != ep.spec) out.listen.push_back(ep.spec);
  }
  if (s.protocol == Protocol::kUdp) out.protocol = "udp";
  if (s.wait != (s.protocol == Protocol::kUdp)) out.wait = s.wait;
  out.program = s.program;
  if (!s.argv0.empty() && s.argv0 != s.program) out.argv0 = s.argv0;
  out.args = s.args;
  if (s.credentials) {
    out.user = !s.credentials->user_name.empty() ? s.credentials->user_name
                                                 : std::to_string(s.credentials->uid);
    out.group = GroupName(s.credentials->gid);
  }
  const Rate wait_default = kWaitRateLimit;
  if (!(s.wait && s.policy.rate_limit == wait_default) && !s.policy.rate_limit.off())
    out.rate_limit = RateText(s.policy.rate_limit);
  out.stderr_mode = s.stderr_mode == StderrMode::kSocket ? "socket" : "";
  out.sndbuf = s.sndbuf;
  out.rcvbuf = s.rcvbuf;
  out.disabled = s.disabled;
  return out;
}

}  // namespace

ImportedTable ImportInetdConf(const std::string& path, const std::string& services_dir) {
  ImportedTable table;
  table.source = path;
  table.format = "inetd.conf";
  table.files.push_back(path);
  std::string text;
  if (const std::string why = ReadTableFile(path, text); !why.empty()) {
    table.messages.push_back({path, 0, "unable to read the file: " + why, false});
    return table;
  }
  const InetdConf conf = ReadInetdConf(text, path, services_dir);
  for (const Diagnostic& d : conf.diagnostics.errors())
    table.messages.push_back({d.file, d.position.line, d.message, false});
  for (const Diagnostic& d : conf.diagnostics.warnings())
    table.messages.push_back({d.file, d.position.line, d.message, true});
  for (const InetdService& entry : conf.services)
    table.services.push_back(Imported(entry, path));
  return table;
}

}  // namespace superd::import
