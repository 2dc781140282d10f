#include "xinetd_import.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>

#include "table_checks.hpp"
#include "xinetd_access.hpp"
#include "xinetd_rlimits.hpp"
#include "xinetd_service.hpp"

namespace superd::import {
namespace {

constexpr long long kMaxCount = 1 << 20;  // superd's max_instances, max_per_source
constexpr long long kMaxRate = 1000000;   // superd's N of "N/DURATION"
constexpr long long kMaxSeconds = 720 * 3600;  // superd's longest duration

// xinetd's built-in services superd has a sample program for.
constexpr std::array<std::string_view, 5> kSamples = {"echo", "discard", "daytime", "chargen",
                                                      "time"};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A decimal number of at most 18 digits (xinetd's parse_base10 and
// parse_ull: an optional sign for signed ones, nothing else).
std::optional<long long> Number(std::string_view text, bool sign) {
  bool negative = false;
  if (sign && !text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (!AllDigits(text) || text.size() > 18) return std::nullopt;
  long long n = 0;
  for (char c : text) n = n * 10 + (c - '0');
  return negative ? -n : n;
}

std::string Join(const std::vector<std::string>& words, const std::string& by = " ") {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : by) + w;
  return out;
}

class ServiceMapper {
 public:
  ServiceMapper(const XinetdService& service, const ImportSystem& system,
                const XinetdImportOptions& options, std::vector<ImportMessage>& messages)
      : s_(service), system_(system), options_(options), messages_(messages) {}

  // The superd service, unless it is left out (or an error was found).
  std::optional<ImportedService> Map() {
    out_.file = s_.position.file;
    out_.line = s_.position.line;
    Name();
    Disabled();
    if (!Types() || !Flags() || !Redirect() || !Socket() || !Wait() || !Listen() ||
        !Program() || !Credentials())
      return std::nullopt;
    Environment();
    Limits();
    Rlimits();
    Access();
    NotCarried();
    if (failed_) return std::nullopt;
    return out_;
  }

 private:
  void Warn(const XinetdPosition& at, std::string text) {
    messages_.push_back(MessageAt(at, std::move(text), true));
  }
  void Error(const XinetdPosition& at, std::string text) {
    messages_.push_back(MessageAt(at, std::move(text), false));
    failed_ = true;
  }
  // Always false, for `return LeaveOut(...)`.
  bool LeaveOut(const XinetdPosition& at, const std::string& why) {
    Warn(at, why + "; service '" + out_.name + "' left out");
    return false;
  }
  // Imports the service disabled, saying why, unless it is so already.
  void Disable(const XinetdPosition& at, const std::string& why) {
    if (out_.disabled) return;
    Warn(at, why + ": imported as disabled");
    out_.disabled = true;
  }
  // For what the service inherits from `defaults`, whose line speaks for
  // every service: which one this is about.
  std::string Of(const XinetdSetting& s) const {
    return s.from_defaults ? " (service '" + out_.name + "')" : "";
  }
  // Why xinetd would not serve the service either (when it is enabled).
  std::string NotServed() const {
    return out_.disabled ? "" : ", so xinetd does not serve the service either";
  }

  const XinetdSetting* Get(const std::string& attribute) const { return s_.Find(attribute); }
  const std::string* One(const std::string& attribute) const {
    const XinetdSetting* s = Get(attribute);
    return s && !s->values.empty() ? &s->values[0].text : nullptr;
  }
  // A yes/no attribute; `fallback` when unset.
  bool YesNo(const std::string& attribute, bool fallback) {
    const XinetdSetting* s = Get(attribute);
    if (!s) return fallback;
    const std::string& v = s->values[0].text;
    if (v == "yes") return true;
    if (v != "no") Error(s->position, attribute + " must be yes or no, not '" + v + "'");
    return false;
  }
  bool Has(const std::string& attribute, std::string_view word) const {
    const XinetdSetting* s = Get(attribute);
    if (!s) return false;
    return std::any_of(s->values.begin(), s->values.end(),
                       [&](const XinetdValue& v) { return v.text == word; });
  }

  void Name() {
    const std::string* id = One("id");
    const std::string name = id ? *id : s_.name;
    out_.name = SanitizeServiceName(name);
    if (out_.name != name)
      Warn(id ? Get("id")->position : s_.position,
           "'" + name + "' is not a superd service name (letters, digits, '-', '_' and '.'): "
           "imported as '" + out_.name + "'");
  }

  void Disabled() {
    if (YesNo("disable", false)) out_.disabled = true;
    if (s_.disabled_by_defaults) out_.disabled = true;
  }

  bool Types() {
    const XinetdSetting* type = Get("type");
    if (!type) return true;
    for (const std::string& t : type->Texts()) {
      static const std::array<std::string_view, 6> kKnown = {"RPC",     "INTERNAL", "UNLISTED",
                                                             "SPECIAL", "TCPMUX",   "TCPMUXPLUS"};
      if (std::find(kKnown.begin(), kKnown.end(), t) == kKnown.end())
        Error(type->position, "type: unknown '" + t + "' (RPC, INTERNAL, UNLISTED, TCPMUX, TCPMUXPLUS)");
    }
    if (Has("type", "RPC"))
      return LeaveOut(type->position, "type RPC: superd does not register services with rpcbind");
    if (Has("type", "TCPMUX") || Has("type", "TCPMUXPLUS"))
      return LeaveOut(type->position, "type TCPMUX: superd has no TCPMUX (RFC 1078) multiplexer");
    if (Has("type", "SPECIAL"))
      return LeaveOut(type->position, "type SPECIAL: a service of xinetd's own");
    internal_ = Has("type", "INTERNAL");
    unlisted_ = Has("type", "UNLISTED");
    return true;
  }

  bool Flags() {
    const XinetdSetting* flags = Get("flags");
    if (!flags) return true;
    static const std::map<std::string, std::string> kIgnored = {
        {"INTERCEPT", "superd does not intercept a program's packets or connections"},
        {"NORETRY", "superd has no counterpart"},
        {"IDONLY", "superd asks no client for its identity (RFC 1413)"},
        {"NODELAY", "superd does not set TCP_NODELAY on connections"},
        {"LABELED", "superd sets no SELinux context from the connection"}};
    static const std::array<std::string_view, 7> kKnown = {
        "REUSE", "NAMEINARGS", "KEEPALIVE", "NOLIBWRAP", "SENSOR", "IPv4", "IPv6"};
    for (const std::string& f : flags->Texts()) {
      if (auto it = kIgnored.find(f); it != kIgnored.end())
        Warn(flags->position, "flags " + f + ": " + it->second + "; ignored");
      else if (std::find(kKnown.begin(), kKnown.end(), f) == kKnown.end())
        Error(flags->position, "flags: unknown '" + f + "'");
    }
    if (Has("flags", "SENSOR"))
      return LeaveOut(flags->position, "flags SENSOR: superd has no sensor that bans whoever "
                                       "touches a port");
    nameinargs_ = Has("flags", "NAMEINARGS");
    out_.keepalive = Has("flags", "KEEPALIVE");
    return true;
  }

  bool Redirect() {
    const XinetdSetting* r = Get("redirect");
    if (!r) return true;
    return LeaveOut(r->position, "redirect: superd does not forward connections to another host");
  }

  bool Socket() {
    const std::string* type = One("socket_type");
    const std::string* protocol = One("protocol");
    if (type && *type != "stream" && *type != "dgram" && *type != "raw" && *type != "seqpacket") {
      Error(Get("socket_type")->position,
            "socket_type must be stream, dgram, raw or seqpacket, not '" + *type + "'");
      return false;
    }
    if (!type && !protocol)
      return LeaveOut(s_.position, "neither socket_type nor protocol is set (xinetd needs one)");
    if (type && (*type == "raw" || *type == "seqpacket"))
      return LeaveOut(Get("socket_type")->position,
                      "socket_type " + *type + ": superd serves stream and dgram sockets only");
    if (protocol && *protocol != "tcp" && *protocol != "udp")
      return LeaveOut(Get("protocol")->position,
                      "protocol " + *protocol + ": superd serves tcp and udp only");
    udp_ = type ? *type == "dgram" : *protocol == "udp";
    if (type && protocol && udp_ != (*protocol == "udp"))
      return LeaveOut(Get("protocol")->position,
                      "socket_type " + *type + " over protocol " + *protocol +
                          ": superd serves stream over tcp and dgram over udp");
    protocol_ = udp_ ? "udp" : "tcp";
    if (udp_) out_.protocol = "udp";
    return true;
  }

  bool Wait() {
    const XinetdSetting* w = Get("wait");
    if (!w) return LeaveOut(s_.position, "wait is not set (xinetd needs it)");
    wait_ = YesNo("wait", false);
    if (udp_ && !wait_) {
      Warn(w->position, "wait = no: superd serves udp as a wait service only, the program "
                        "getting the socket; imported as one");
      wait_ = true;
    } else if (!udp_ && wait_) {
      out_.wait = true;
    }
    return true;
  }

  bool Listen() {
    std::optional<long long> port;
    if (const XinetdSetting* p = Get("port")) {
      port = Number(p->values[0].text, false);
      if (!port || *port > 65535) {
        Error(p->position, "port must be a number from 0 to 65535, not '" + p->values[0].text + "'");
        return false;
      }
      if (*port == 0) return LeaveOut(p->position, "port 0: superd listens on ports 1 to 65535");
    }
    if (unlisted_) {
      if (!port) return LeaveOut(Get("type")->position, "type UNLISTED without a port (xinetd needs one)");
    } else if (std::optional<int> listed = system_.ServicePort(s_.name, protocol_)) {
      if (port && *port != *listed)
        Warn(Get("port")->position, "port " + std::to_string(*port) + " is not " + s_.name +
                                        "'s port in /etc/services (" + std::to_string(*listed) +
                                        "), which xinetd allows only with type = UNLISTED; "
                                        "imported with port " + std::to_string(*port));
      if (!port) port = *listed;
    } else if (port) {
      Warn(Get("port")->position, "'" + s_.name + "' is not in /etc/services for " + protocol_ +
                                      ", which xinetd allows only with type = UNLISTED; imported "
                                      "with port " + std::to_string(*port));
    } else {
      return LeaveOut(s_.position, "'" + s_.name + "' is not in /etc/services for " + protocol_ +
                                       " and has no port" + NotServed());
    }
    const std::string p = std::to_string(*port);
    const bool v6only = YesNo("v6only", false);
    const bool ipv4 = Has("flags", "IPv4") && !Has("flags", "IPv6");
    const std::string any = ipv4 ? "0.0.0.0:" + p : v6only ? "[::]:" + p : "*:" + p;
    const XinetdSetting* bind = Get("bind");
    if (!bind) {
      out_.listen.push_back(any);
      return true;
    }
    const std::string& host = bind->values[0].text;
    in_addr v4;
    in6_addr v6;
    char text[INET6_ADDRSTRLEN];
    if (host.find(':') == std::string::npos && AllDigitsAndDots(host) &&
        inet_aton(host.c_str(), &v4) != 0) {
      inet_ntop(AF_INET, &v4, text, sizeof text);
      out_.listen.push_back(std::string(text) + ":" + p);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
      inet_ntop(AF_INET6, &v6, text, sizeof text);
      const std::string a = text;
      out_.listen.push_back(a == "::" ? (v6only ? "[::]:" : "*:") + p : "[" + a + "]:" + p);
    } else if (!system_.Resolves(host)) {
      return LeaveOut(bind->position, bind->attribute + " " + host + ": no such host" + NotServed());
    } else {
      Warn(bind->position, bind->attribute + " " + host + ": superd binds every address " + host +
                               " resolves to when it loads the table, xinetd one of them");
      out_.listen.push_back(host + ":" + p);
    }
    return true;
  }

  static bool AllDigitsAndDots(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; });
  }

  bool Program() {
    if (internal_) {
      const XinetdPosition& at = Get("type")->position;
      if (std::find(kSamples.begin(), kSamples.end(), s_.name) == kSamples.end())
        return LeaveOut(at, "type INTERNAL: superd has no counterpart to xinetd's built-in '" +
                                s_.name + "'");
      if (nameinargs_)
        return LeaveOut(Get("flags")->position, "flags NAMEINARGS on an INTERNAL service (xinetd refuses it)");
      out_.program = options_.services_dir + "/" + s_.name;
      Warn(at, "type INTERNAL: served by superd's sample program " + out_.program +
                   " instead of xinetd's built-in " + s_.name);
      if (!system_.Executable(out_.program))
        Disable(at, "the sample program " + out_.program + " is not installed");
      return true;
    }
    const XinetdSetting* server = Get("server");
    if (!server) return LeaveOut(s_.position, "no server" + NotServed());
    const std::string& path = server->values[0].text;
    if (path.empty() || path[0] != '/')
      return LeaveOut(server->position, "server " + path + " is not an absolute path, as superd needs");
    out_.program = path;
    if (const XinetdSetting* args = Get("server_args")) out_.args = args->Texts();
    if (nameinargs_) {
      if (out_.args.empty())
        return LeaveOut(Get("flags")->position, "flags NAMEINARGS without server_args" + NotServed());
      if (out_.args[0] != path) out_.argv0 = out_.args[0];
      out_.args.erase(out_.args.begin());
    }
    if (!out_.disabled && !system_.Executable(path))
      Disable(server->position, "server " + path + " is not an executable file here, so xinetd "
                                "does not serve the service either");
    return true;
  }

  bool Credentials() {
    const XinetdSetting* user = Get("user");
    const XinetdSetting* group = Get("group");
    const bool groups = YesNo("groups", false);
    if (!user && !internal_) return LeaveOut(s_.position, "no user" + NotServed());
    if (user) {
      const std::string& name = user->values[0].text;
      if (!AllDigits(name) && !system_.UserExists(name))
        return LeaveOut(user->position, "user '" + name + "' does not exist here" + NotServed());
      out_.user = name;
    }
    if (group) {
      const std::string& name = group->values[0].text;
      if (!AllDigits(name) && !system_.GroupExists(name))
        return LeaveOut(group->position, "group '" + name + "' does not exist here" + NotServed());
      out_.group = name;
    } else if (user && AllDigits(out_.user)) {
      out_.group = out_.user;  // xinetd runs a numeric user with that gid
    }
    if (user && !groups) {
      const std::vector<std::string> others = system_.OtherGroups(out_.user, out_.group);
      if (!others.empty()) {
        const XinetdSetting* g = Get("groups");
        Warn(g ? g->position : user->position,
             "xinetd gives the program no supplementary groups (groups = no, its default), "
             "superd gives those of user '" + out_.user + "': " + Join(others, ", "));
      }
    }
    return true;
  }

  void Environment() {
    if (const XinetdSetting* env = Get("env")) {
      for (const XinetdValue& v : env->values) {
        const size_t eq = v.text.find('=');
        if (eq == std::string::npos) {
          Error(v.position, "env: '" + v.text + "' is not NAME=VALUE");
          continue;
        }
        const std::string name = v.text.substr(0, eq), value = v.text.substr(eq + 1);
        const bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), [](unsigned char c) {
                             return std::isalnum(c) || c == '_';
                           });
        if (!valid) {
          Warn(v.position, "env " + name + ": superd takes names of letters, digits and '_' "
                           "that do not start with a digit; not carried over");
          continue;
        }
        auto it = std::find_if(out_.env.begin(), out_.env.end(),
                               [&](const auto& e) { return e.first == name; });
        if (it != out_.env.end()) it->second = value;  // the last one counts
        else out_.env.emplace_back(name, value);
      }
    }
    const XinetdSetting* passenv = Get("passenv");
    if (passenv && !passenv->values.empty())
      Warn(passenv->position, "passenv " + Join(passenv->Texts()) +
                                  ": superd starts programs with a clean environment; give "
                                  "them what they need with env; not carried over");
  }

  // instances, per_source: a count or UNLIMITED.
  std::optional<long long> Count(const XinetdSetting& s) {
    const std::string& v = s.values[0].text;
    if (v == "UNLIMITED") return -1;
    std::optional<long long> n = Number(v, true);
    if (!n || *n < 0) {
      Error(s.position, s.attribute + " must be a number or UNLIMITED, not '" + v + "'");
      return std::nullopt;
    }
    if (*n > kMaxCount) {
      Warn(s.position, s.attribute + " " + v + ": superd counts to " + std::to_string(kMaxCount) +
                           "; imported as that");
      return kMaxCount;
    }
    return n;
  }

  void Limits() {
    if (const XinetdSetting* s = Get("instances")) {
      std::optional<long long> n = Count(*s);
      if (n == -1)
        Warn(s->position, "instances = UNLIMITED: superd's max_instances has no unlimited "
                          "value; left to its default, 64");
      else if (n == 0)
        Disable(s->position, "instances = 0 starts nothing" + Of(*s));
      else if (n)
        out_.max_instances = static_cast<int>(*n);
    }
    if (const XinetdSetting* s = Get("per_source")) {
      std::optional<long long> n = Count(*s);
      if (n == 0) {
        Disable(s->position, "per_source = 0 lets no client in" + Of(*s));
      } else if (n && *n > 0 && wait_) {
        Warn(s->position, "per_source" + Of(*s) + ": superd cannot count the clients of a wait "
                          "service, whose program reads them itself; not carried over");
      } else if (n && *n > 0) {
        out_.max_per_source = static_cast<int>(*n);
        out_.source_prefix_ipv6 = 128;  // xinetd counts single IPv6 addresses
      }
    }
    if (const XinetdSetting* s = Get("cps")) Cps(*s);
    if (const XinetdSetting* s = Get("nice")) {
      std::optional<long long> n = Number(s->values[0].text, true);
      if (!n) {
        Error(s->position, "nice must be a number, not '" + s->values[0].text + "'");
      } else {
        const long long clamped = std::clamp(*n, -20LL, 19LL);
        if (clamped != *n)
          Warn(s->position, "nice " + s->values[0].text + ": superd takes -20 to 19; imported as " +
                                std::to_string(clamped));
        out_.nice = static_cast<int>(clamped);
      }
    }
    if (const XinetdSetting* s = Get("umask")) {
      const std::string& v = s->values[0].text;
      const bool octal = !v.empty() && v.size() <= 4 &&
                         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '7'; });
      const unsigned mask = octal ? std::stoul(v, nullptr, 8) : 01000;
      if (mask > 0777) {
        Error(s->position, "umask must be an octal number up to 777, not '" + v + "'");
      } else {
        char text[8];
        std::snprintf(text, sizeof text, "%03o", mask);
        out_.umask = text;
      }
    }
  }

  // cps N S: xinetd turns the service off for S seconds once more than N
  // connections came in one second.
  void Cps(const XinetdSetting& s) {
    std::optional<long long> n = Number(s.values[0].text, false);
    std::optional<long long> pause = Number(s.values[1].text, false);
    if (!n || !pause) {
      Error(s.position, "cps takes two numbers (connections per second, seconds to pause), not '" +
                            Join(s.Texts()) + "'");
      return;
    }
    if (*n == 0) {  // xinetd: no limit
      if (wait_) out_.rate_limit = "off";
      return;
    }
    const long long count = std::min(*n, kMaxRate), seconds = std::min(*pause, kMaxSeconds);
    out_.rate_limit = std::to_string(count) + "/1s";
    out_.rate_limit_pause = std::to_string(seconds) + "s";
    Warn(s.position, "cps " + Join(s.Texts()) + ": imported as rate_limit \"" + out_.rate_limit +
                         "\" with rate_limit_pause " + out_.rate_limit_pause +
                         ": superd lets bursts of " + std::to_string(count) +
                         " through and, once they are spent, pauses at least " +
                         std::to_string(seconds) + " s with new clients waiting in the backlog; "
                         "xinetd refuses them and turns the service off for " +
                         std::to_string(*pause) + " s");
  }

  void Rlimits() { out_.rlimits = ImportXinetdRlimits(s_, messages_); }

  void Access() {
    XinetdAccess a = ImportXinetdAccess(Get("only_from"), Get("no_access"), !udp_ && wait_,
                                        out_.name, messages_);
    out_.allow = std::move(a.allow);
    out_.deny = std::move(a.deny);
    if (a.nobody_at) Disable(*a.nobody_at, a.nobody);
  }

  void NotCarried();

  const XinetdService& s_;
  const ImportSystem& system_;
  const XinetdImportOptions& options_;
  std::vector<ImportMessage>& messages_;
  ImportedService out_;
  bool failed_ = false;
  bool internal_ = false, unlisted_ = false, nameinargs_ = false;
  bool udp_ = false, wait_ = false;
  std::string protocol_;
};

void ServiceMapper::NotCarried() {
  static const std::pair<const char*, const char*> kNotCarried[] = {
      {"log_type", "superd logs to its standard error or to syslog, for all services (superd(8))"},
      {"log_on_success", "superd logs every connection and exit at info (superd(8))"},
      {"log_on_failure", "superd logs every refused or failed connection (superd(8))"},
      {"banner", "superd sends no banner"},
      {"banner_success", "superd sends no banner"},
      {"banner_fail", "superd sends no banner"},
      {"access_times", "superd serves at all times"},
      {"max_load", "superd does not watch the load average"},
      {"deny_time", "superd has no SENSOR that bans clients"},
      {"libwrap", "superd does not read hosts.allow and hosts.deny"}};
  for (const auto& [attribute, why] : kNotCarried) {
    const XinetdSetting* s = Get(attribute);
    if (s && !s->values.empty())
      Warn(s->position, s->attribute + " " + Join(s->Texts()) + ": " + why + "; not carried over");
  }
}

}  // namespace

ImportedTable ImportXinetd(const std::string& source, const XinetdConfig& config,
                           const ImportSystem& system, const XinetdImportOptions& options) {
  ImportedTable table;
  table.source = source;
  table.format = "xinetd configuration";
  table.files = config.files;
  for (const XinetdMessage& m : config.messages) table.messages.push_back(MessageAt(m.position, m.text, m.warning));
  if (!config.ok()) return table;
  for (const XinetdService& service : ResolveXinetdServices(config, table.messages)) {
    std::optional<ImportedService> s = ServiceMapper(service, system, options, table.messages).Map();
    if (s) table.services.push_back(std::move(*s));
  }
  SettleTable(table);
  // One message per line and text (a `defaults` line speaks for every
  // service), in the order of the files and their lines.
  std::vector<ImportMessage> unique;
  for (const ImportMessage& m : table.messages)
    if (std::find(unique.begin(), unique.end(), m) == unique.end()) unique.push_back(m);
  auto rank = [&](const ImportMessage& m) {
    return std::find(table.files.begin(), table.files.end(), m.file) - table.files.begin();
  };
  std::stable_sort(unique.begin(), unique.end(), [&](const ImportMessage& a, const ImportMessage& b) {
    return std::make_pair(rank(a), a.line) < std::make_pair(rank(b), b.line);
  });
  table.messages = std::move(unique);
  return table;
}

}  // namespace superd::import
