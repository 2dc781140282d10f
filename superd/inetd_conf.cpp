#include "inetd_conf.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "accounts.hpp"
#include "exec_check.hpp"
#include "values.hpp"

namespace superd {
namespace {

using namespace std::chrono_literals;

// openbsd-inetd's -R default: spawns of a nowait service per minute.
constexpr Rate kNowaitRateLimit{256, 60s};
constexpr std::string_view kOff = "#<off>#";  // update-inetd's --disable
constexpr std::array<std::string_view, 5> kInternal = {"echo", "discard", "chargen",
                                                       "daytime", "time"};

// A field (a word between spaces and tabs) and where it starts.
struct Field {
  std::string text;
  Position at;
};

Position Plus(Position at, size_t columns) {
  return {at.line, at.column + static_cast<int>(columns)};
}

// One entry: the fields of its first line and of its continuation lines.
struct Entry {
  std::vector<Field> fields;
  bool disabled = false;  // a `#<off>#` line
};

bool Blank(char c) { return c == ' ' || c == '\t'; }

void Split(std::string_view line, int number, size_t from, std::vector<Field>& out) {
  for (size_t i = from;;) {
    while (i < line.size() && Blank(line[i])) ++i;
    if (i == line.size()) return;
    const size_t start = i;
    while (i < line.size() && !Blank(line[i])) ++i;
    out.push_back({std::string(line.substr(start, i - start)),
                   {number, static_cast<int>(start + 1)}});
  }
}

// The entries of the file. A line that starts with a space or a tab
// continues the entry of the line before it (even a `#<off>#` one, which
// update-inetd disables by its first line only); a comment or an empty line
// ends it. A CR before the newline is not part of the line.
std::vector<Entry> Entries(const std::string& text) {
  std::vector<Entry> entries;
  bool open = false;  // the line before belongs to an entry
  int number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || (line[0] == '#' && !line.starts_with(kOff))) {
      open = false;
      continue;
    }
    if (Blank(line[0]) && open) {
      Split(line, number, 0, entries.back().fields);
      continue;
    }
    Entry entry;
    entry.disabled = line.starts_with(kOff);
    Split(line, number, entry.disabled ? kOff.size() : 0, entry.fields);
    open = !entry.fields.empty();
    if (open) entries.push_back(std::move(entry));
  }
  return entries;
}

// Which addresses field 3's protocol listens on.
enum class Family { kAny, kIpv4, kIpv6 };

// "/usr/sbin/in.fingerd" -> "in.fingerd"; a path that ends in '/' whole.
std::string Basename(const std::string& path) {
  const std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() ? path : name;
}

class Reader {
 public:
  Reader(Diagnostics& diag, std::string internal_dir)
      : diag_(diag), internal_dir_(std::move(internal_dir)) {}

  // The service of one entry, or nothing (an error, a skipped entry, a
  // `host:` line).
  std::optional<InetdService> Read(const Entry& entry);

 private:
  // A problem of the entry as written: an error, or for a `#<off>#` entry,
  // which is a comment to inetd, the end of it, silently.
  void Error(Position at, const std::string& message) {
    failed_ = true;
    if (!disabled_) diag_.Error(at, message);
  }
  // A name this machine does not know (port, host, user, group, program):
  // an error, but no reason to drop a `#<off>#` entry, never run here.
  void LookupError(Position at, const std::string& message) {
    if (!disabled_) Error(at, message);
  }

  void SetDefaultHost(const Field& hosts);
  bool CheckHosts(const Field& hosts);
  void ReadProtocol(const Field& field, Service& service);
  bool ReadWait(const Field& field, Service& service, std::optional<Rate>& rate);
  void ReadUser(const Field& field, Service& service);
  void ReadProgram(const std::vector<Field>& fields, const std::string& name,
                   Service& service);
  void ReadListen(const Field& hosts, const Field& name, Service& service);
  void AddHost(const std::string& host, Position at, const Field& name, uint16_t port,
               Service& service);
  void CheckExec(const std::vector<Field>& fields, const Service& service);

  Diagnostics& diag_;
  const std::string internal_dir_;
  Field default_host_{"*", {}};  // set by a `host:` line
  bool disabled_ = false;        // of the entry being read
  bool failed_ = false;          // the entry has an error
  Family family_ = Family::kAny;
  std::string protocol_;         // field 3 without its options: "tcp6"
  std::unordered_map<std::string, std::string> programs_checked_;  // -> problem
};

std::optional<InetdService> Reader::Read(const Entry& entry) {
  disabled_ = entry.disabled;
  failed_ = false;
  std::vector<Field> f = entry.fields;
  const Field first = f[0];

  // Field 1: [HOST[,HOST...]:]SERVICE, split at the last ':'.
  Field hosts = default_host_, name = first;
  if (const size_t colon = first.text.rfind(':'); colon != std::string::npos) {
    hosts = {colon == 0 ? "*" : first.text.substr(0, colon), first.at};
    name = {first.text.substr(colon + 1), Plus(first.at, colon + 1)};
    if (name.text.empty() && f.size() == 1) {  // `host:` alone: the default
      if (!disabled_) SetDefaultHost(hosts);
      return std::nullopt;
    }
    if (name.text.empty()) {  // `host: service ...`, as openbsd-inetd takes it
      name = f[1];
      f.erase(f.begin() + 1);
    }
  }
  if (f.size() >= 3 && (f[2].text.starts_with("rpc/") || f[2].text == "unix")) {
    if (!disabled_)
      diag_.Warning(first.at, f[2].text == "unix"
                                  ? "unix sockets in inetd.conf are not supported by "
                                    "superd; skipped (a YAML service can listen on "
                                    "unix:/PATH)"
                                  : "rpc services are not supported by superd; skipped");
    return std::nullopt;
  }
  if (f.size() < 6) {
    Error(first.at, "incomplete entry: " + std::to_string(f.size()) +
                        " fields, expected at least 6 (SERVICE SOCKET-TYPE PROTOCOL "
                        "WAIT USER PROGRAM [ARGV0 ARGUMENTS...])");
    return std::nullopt;
  }

  InetdService out;
  out.inetd_name = name.text;
  out.position = first.at;
  Service& s = out.service;
  s.disabled = disabled_;
  s.stderr_mode = StderrMode::kSocket;  // inetd gives the socket as fd 2 too
  const bool name_ok =
      !name.text.empty() &&
      std::all_of(name.text.begin(), name.text.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
      });
  if (!name_ok)
    Error(name.at, "service: invalid name '" + name.text +
                       "' (a name from /etc/services or a port number)");

  const bool stream = f[1].text == "stream";
  if (!stream && f[1].text != "dgram")
    Error(f[1].at, "socket type: expected stream or dgram, not '" + f[1].text + "'");
  ReadProtocol(f[2], s);
  // What depends on the protocol is checked only once it is certain.
  bool protocol_ok = !protocol_.empty();
  if (protocol_ok && (f[1].text == "stream" || f[1].text == "dgram") &&
      stream != (s.protocol == Protocol::kTcp)) {
    Error(f[2].at, "protocol: " + protocol_ + " does not go with socket type " + f[1].text +
                       " (stream is tcp, dgram is udp)");
    protocol_ok = false;
  }
  s.name = name.text + "." + (protocol_.empty() ? f[2].text : protocol_);

  std::optional<Rate> rate;
  const bool wait_ok = ReadWait(f[3], s, rate);
  ReadUser(f[4], s);
  ReadProgram(f, name.text, s);
  if (f[5].text == "internal")  // superd's samples: tcp nowait, udp wait
    s.wait = s.protocol == Protocol::kUdp;
  else if (s.protocol == Protocol::kUdp && !s.wait && protocol_ok && wait_ok)
    Error(f[3].at, "wait: udp services are wait services (the program is given the "
                   "socket itself); write wait");
  s.policy.rate_limit = rate ? *rate : s.wait ? kWaitRateLimit : kNowaitRateLimit;
  if (CheckHosts(hosts) && name_ok && protocol_ok) ReadListen(hosts, name, s);
  if (!failed_ && !disabled_) CheckExec(f, s);
  if (failed_) return std::nullopt;
  return out;
}

// Each host of a list: a name or a numeric address, an IPv6 one in
// brackets or not, or `*`; empty ones are skipped, as openbsd-inetd does,
// but not all of them.
bool Reader::CheckHosts(const Field& hosts) {
  if (hosts.text.find_first_not_of(',') == std::string::npos) {
    Error(hosts.at, "host: no host in '" + hosts.text + ":'");
    return false;
  }
  bool ok = true;
  size_t from = 0;
  for (const std::string& list = hosts.text; from <= list.size();) {
    size_t comma = list.find(',', from);
    if (comma == std::string::npos) comma = list.size();
    const std::string host = list.substr(from, comma - from);
    const bool bracketed = host.starts_with('[');
    if (bracketed != host.ends_with(']') || host == "[]") {
      Error(Plus(hosts.at, from), "host: invalid host '" + host + "'");
      ok = false;
    }
    from = comma + 1;
  }
  return ok;
}

void Reader::SetDefaultHost(const Field& hosts) {
  if (CheckHosts(hosts)) default_host_ = hosts;
}

// Field 3: PROTOCOL[,sndbuf=SIZE][,rcvbuf=SIZE].
void Reader::ReadProtocol(const Field& field, Service& service) {
  const std::string& text = field.text;
  size_t comma = text.find(',');
  const std::string protocol = text.substr(0, comma);
  static constexpr std::array<std::string_view, 8> kProtocols = {
      "tcp", "udp", "tcp4", "udp4", "tcp6", "udp6", "tcp46", "udp46"};
  protocol_.clear();
  if (std::find(kProtocols.begin(), kProtocols.end(), protocol) == kProtocols.end()) {
    Error(field.at, "protocol: expected tcp, udp, tcp4, udp4, tcp6, udp6, tcp46 or udp46, "
                    "not '" + protocol + "'");
  } else {
    protocol_ = protocol;
    service.protocol = protocol.starts_with("udp") ? Protocol::kUdp : Protocol::kTcp;
    family_ = protocol.ends_with("46")  ? Family::kAny
              : protocol.ends_with('4') ? Family::kIpv4
              : protocol.ends_with('6') ? Family::kIpv6
                                        : Family::kAny;
  }
  while (comma != std::string::npos) {
    const size_t from = comma + 1;
    comma = text.find(',', from);
    const std::string option = text.substr(from, comma - from);
    const std::string key = option.substr(0, option.find('='));
    if ((key != "sndbuf" && key != "rcvbuf") || key.size() == option.size()) {
      Error(Plus(field.at, from), "protocol: unknown option '" + option +
                                      "' (expected sndbuf=SIZE or rcvbuf=SIZE)");
      continue;
    }
    const auto size = ParseBufferSize(option.substr(key.size() + 1));
    if (auto* error = std::get_if<std::string>(&size))
      Error(Plus(field.at, from + key.size() + 1), key + ": " + *error);
    else
      (key == "sndbuf" ? service.sndbuf : service.rcvbuf) = std::get<int>(size);
  }
}

// Field 4: wait or nowait, each with an optional .N: at most N spawns a
// minute. openbsd-inetd takes anything but "wait" for nowait; a typo here
// would change how the program is given its socket, so it is an error.
bool Reader::ReadWait(const Field& field, Service& service, std::optional<Rate>& rate) {
  const size_t dot = field.text.find('.');
  const std::string mode = field.text.substr(0, dot);
  if (mode != "wait" && mode != "nowait") {
    Error(field.at, "wait: expected wait or nowait, with an optional .N (spawns a "
                    "minute), not '" + field.text + "' (openbsd-inetd would take it "
                    "for nowait; superd does not guess)");
    return false;
  }
  service.wait = mode == "wait";
  if (dot == std::string::npos) return true;
  const auto n = ParseInteger(field.text.substr(dot + 1), 1, 1'000'000);
  if (auto* error = std::get_if<std::string>(&n))
    Error(Plus(field.at, dot + 1), "wait: " + mode + ".N: " + *error);
  else
    rate = Rate{std::get<long long>(n), 60s};
  return true;
}

// Field 5: USER, USER.GROUP or USER:GROUP. The whole field is tried as a
// user name first (names may hold a '.'), then split at the ':' or the
// first '.', as openbsd-inetd does.
void Reader::ReadUser(const Field& field, Service& service) {
  const std::string& text = field.text;
  if (auto whole = FindUser(text); auto* user = std::get_if<User>(&whole)) {
    if (!user->name.empty()) {
      service.credentials = CredentialsOf(*user, std::nullopt);
      return;
    }
  }
  size_t sep = text.find(':');
  if (sep == std::string::npos) sep = text.find('.');
  if (sep == 0 || (sep != std::string::npos && sep + 1 == text.size())) {
    Error(field.at, "user: expected USER, USER.GROUP or USER:GROUP, not '" + text + "'");
    return;
  }
  const std::string user_name = text.substr(0, sep);
  const auto user = FindUser(user_name);
  if (auto* error = std::get_if<std::string>(&user)) LookupError(field.at, "user: " + *error);
  std::optional<gid_t> gid;
  if (sep != std::string::npos) {
    const auto group = FindGroup(text.substr(sep + 1));
    if (auto* error = std::get_if<std::string>(&group))
      LookupError(Plus(field.at, sep + 1), "group: " + *error);
    else
      gid = std::get<gid_t>(group);
  }
  const User* u = std::get_if<User>(&user);
  if (u != nullptr && u->name.empty() && sep == std::string::npos) {
    LookupError(field.at, "user: uid " + user_name +
                              " has no passwd entry; name a group as well (USER.GROUP)");
    return;
  }
  if (u != nullptr && (gid || sep == std::string::npos))
    service.credentials = CredentialsOf(*u, gid);
}

// Field 6, the program (an absolute path, or `internal`: superd's sample
// of that name), and fields 7 and on: argv[0], then the arguments.
void Reader::ReadProgram(const std::vector<Field>& fields, const std::string& name,
                         Service& service) {
  const Field& program = fields[5];
  const bool internal = program.text == "internal";
  if (internal) {
    if (std::find(kInternal.begin(), kInternal.end(), name) == kInternal.end()) {
      Error(program.at, "program: internal service '" + name +
                            "' unknown (superd's are echo, discard, chargen, daytime and "
                            "time)");
      return;
    }
    service.program = internal_dir_ + "/" + name;
    if (fields.size() > 6 && !disabled_)
      diag_.Warning(fields[6].at, "arguments of an internal service are ignored");
  } else if (!program.text.starts_with('/')) {
    Error(program.at, "program: must be an absolute path or internal, not '" +
                          program.text + "'");
    return;
  } else {
    service.program = program.text;
    service.argv0 = fields.size() > 6 ? fields[6].text : "";
    for (size_t i = 7; i < fields.size(); ++i) service.args.push_back(fields[i].text);
  }
  if (service.argv0.empty()) service.argv0 = Basename(service.program);
  if (disabled_) return;  // never run: it may name a program not installed
  auto [checked, first] = programs_checked_.try_emplace(service.program);
  if (first) checked->second = ProgramProblem(service.program);
  if (!checked->second.empty()) LookupError(program.at, "program: " + checked->second);
}

// The sockets of field 1's hosts and service, for field 3's protocol.
void Reader::ReadListen(const Field& hosts, const Field& name, Service& service) {
  const bool numeric = std::all_of(name.text.begin(), name.text.end(),
                                   [](unsigned char c) { return std::isdigit(c); });
  const auto port =
      ResolvePort(name.text, service.protocol == Protocol::kUdp ? "udp" : "tcp");
  if (auto* error = std::get_if<std::string>(&port)) {
    if (numeric)
      Error(name.at, "service: " + *error);
    else
      LookupError(name.at, "service: " + *error);
    return;
  }
  size_t from = 0;
  for (const std::string& list = hosts.text; from <= list.size();) {
    size_t comma = list.find(',', from);
    if (comma == std::string::npos) comma = list.size();
    const std::string host = list.substr(from, comma - from);
    if (!host.empty())
      AddHost(host, Plus(hosts.at, from), name, std::get<uint16_t>(port), service);
    from = comma + 1;
  }
}

// One host of field 1: `*`, the wildcard address of field 3's family (one
// dual-stack socket for tcp, udp, tcp46, udp46), or each address of that
// family the host has.
void Reader::AddHost(const std::string& host, Position at, const Field& name,
                     uint16_t port, Service& service) {
  const int socktype = service.protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  if (host == "*") {
    switch (family_) {
      case Family::kAny:
        service.listen.push_back(
            {"*:" + name.text, SocketAddress::Any(AF_INET6, port), true});
        break;
      case Family::kIpv4:
        service.listen.push_back(
            {"0.0.0.0:" + name.text, SocketAddress::Any(AF_INET, port), false});
        break;
      case Family::kIpv6:
        service.listen.push_back(
            {"[::]:" + name.text, SocketAddress::Any(AF_INET6, port), false});
        break;
    }
    return;
  }
  const std::string bare = host.starts_with('[') ? host.substr(1, host.size() - 2) : host;
  const int wanted = family_ == Family::kIpv4   ? AF_INET
                     : family_ == Family::kIpv6 ? AF_INET6
                                                : AF_UNSPEC;
  unsigned char ignored[sizeof(in6_addr)];
  const int numeric = inet_pton(AF_INET, bare.c_str(), ignored) == 1    ? AF_INET
                      : inet_pton(AF_INET6, bare.c_str(), ignored) == 1 ? AF_INET6
                                                                         : AF_UNSPEC;
  const char* family_name = wanted == AF_INET ? "IPv4" : "IPv6";
  if (numeric != AF_UNSPEC && wanted != AF_UNSPEC && numeric != wanted) {
    Error(at, "host: " + bare + " is an " + (numeric == AF_INET ? "IPv4" : "IPv6") +
                  " address, and protocol " + protocol_ + " listens on " + family_name +
                  " only");
    return;
  }
  const auto resolved = ResolveInet(bare, std::to_string(port), socktype);
  if (auto* error = std::get_if<std::string>(&resolved)) {
    LookupError(at, "host: " + *error);
    return;
  }
  const std::string spec = host + ":" + name.text;
  size_t added = 0;
  for (const SocketAddress& address : std::get<std::vector<SocketAddress>>(resolved)) {
    if (wanted != AF_UNSPEC && address.family() != wanted) continue;
    service.listen.push_back({spec, address, false});
    ++added;
  }
  if (added == 0)
    LookupError(at, "host: '" + bare + "' has no " + family_name + " address (protocol " +
                        protocol_ + ")");
}

// What execve(2) would refuse, at the field it comes from.
void Reader::CheckExec(const std::vector<Field>& fields, const Service& service) {
  const auto problem = CheckExecSize(service);
  if (!problem) return;
  size_t field = fields.size() > 6 ? 6 : 5;  // argv0, or the program it comes from
  if (problem->key == "args") field = std::min(7 + problem->index, fields.size() - 1);
  Error(fields[field].at, problem->message);
}

}  // namespace

InetdConf ReadInetdConf(const std::string& text, const std::string& file,
                        const std::string& internal_dir) {
  InetdConf conf{{}, Diagnostics(file)};
  if (text.size() > kMaxTableBytes) {
    conf.diagnostics.Error({1, 1}, "the file is " + std::to_string(text.size()) +
                                       " bytes, more than " +
                                       std::to_string(kMaxTableBytes >> 20) + " MiB");
    return conf;
  }
  // A NUL would end a path or an argument where the file does not show it.
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    const auto line_start = text.rfind('\n', nul);
    const size_t column = nul - (line_start == std::string::npos ? 0 : line_start + 1);
    const auto line = std::count(text.begin(), text.begin() + nul, '\n');
    conf.diagnostics.Error({static_cast<int>(line + 1), static_cast<int>(column + 1)},
                           "a NUL byte: not a text file");
    return conf;
  }
  const std::vector<Entry> entries = Entries(text);
  if (entries.size() > kMaxServices) {
    conf.diagnostics.Error(entries[kMaxServices].fields[0].at,
                           std::to_string(entries.size()) + " entries, more than " +
                               std::to_string(kMaxServices));
    return conf;
  }
  Reader reader(conf.diagnostics, internal_dir);
  std::unordered_map<std::string, size_t> by_name;  // -> index in services
  std::vector<bool> replaced;  // a `#<off>#` entry an entry in use replaced
  for (const Entry& entry : entries) {
    std::optional<InetdService> read = reader.Read(entry);
    if (!read) continue;
    const auto [it, inserted] = by_name.emplace(read->service.name, conf.services.size());
    if (!inserted) {
      InetdService& earlier = conf.services[it->second];
      // A `#<off>#` entry beside one in use is a comment to inetd.
      if (read->service.disabled) continue;
      if (!earlier.service.disabled) {
        conf.diagnostics.Error(
            read->position,
            "service '" + read->service.name + "' is already defined at line " +
                std::to_string(earlier.position.line) +
                " (superd names an entry SERVICE.PROTOCOL: list both hosts in one "
                "entry, HOST,HOST:SERVICE)");
        continue;
      }
      replaced[it->second] = true;
      it->second = conf.services.size();
    }
    conf.services.push_back(std::move(*read));
    replaced.push_back(false);
  }
  size_t kept = 0;
  for (size_t i = 0; i < conf.services.size(); ++i) {
    if (replaced[i]) continue;
    if (kept != i) conf.services[kept] = std::move(conf.services[i]);
    ++kept;
  }
  conf.services.resize(kept);
  return conf;
}

}  // namespace superd
