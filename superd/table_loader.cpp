#include "table_loader.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <tuple>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "accounts.hpp"
#include "exec_check.hpp"
#include "inetd_conf.hpp"
#include "table_file.hpp"
#include "values.hpp"

namespace superd {
namespace {

// A key and its value, as found in the file (so errors point at either).
struct Entry {
  YAML::Node key;
  YAML::Node value;
  const std::string* file = nullptr;  // the file it is in, for `defaults`
};
// The entries of a YAML map, in file order, found by key.
class Entries {
 public:
  const Entry* Find(const std::string& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  // Adds `entry` unless `key` is present; returns the entry under `key`.
  const Entry& Add(const std::string& key, const Entry& entry) {
    auto [it, inserted] = index_.emplace(key, items_.size());
    if (inserted) items_.emplace_back(key, entry);
    return items_[it->second].second;
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::pair<std::string, Entry>> items_;
  std::unordered_map<std::string, size_t> index_;
};

const std::set<std::string> kTopKeys = {"max_children", "shutdown_grace", "defaults",
                                        "services",     "include",        "inetd_conf",
                                        "watch"};
const std::set<std::string> kServiceKeys = {
    "listen",  "protocol", "wait",          "program",           "args",
    "user",    "group",    "env",           "working_directory", "umask",
    "nice",    "max_instances", "stderr",   "backlog",           "disabled",
    "max_per_source", "source_prefix", "rate_limit", "rate_limit_pause",
    "rate_limit_per_source", "allow", "deny", "timeout", "rlimits", "keepalive",
    "reuse_port", "proxy_protocol", "proxy_from", "argv0", "sndbuf", "rcvbuf"};

// More would not fit the spawner's per-child environment (spawner.cpp).
constexpr size_t kMaxEnv = 1000;

Position Pos(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// yaml-cpp places an empty value (`key:`) wherever the next token is, even
// past the end of the file; point at its key instead.
Position Pos(const Entry& e) {
  Position p = Pos(e.value);
  if (p.line == 0 || e.value.IsNull()) p = Pos(e.key);
  p.file = e.file;
  return p;
}

// Where the sample programs that inetd.conf's `internal` entries run are:
// libexec/superd beside the sbin superd runs from (/usr/sbin/superd:
// /usr/libexec/superd; in a build tree, a link to build/services).
std::string InternalProgramsDir() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "/usr/libexec/superd";
  return (self.parent_path().parent_path() / "libexec" / "superd").string();
}

// "FILE:LINE:COLUMN" of a position that names its file.
std::string Where(const Position& p) {
  return (p.file ? *p.file : std::string()) + ":" + std::to_string(p.line) + ":" +
         std::to_string(p.column);
}

// Runs `read`, which reads a YAML document; what yaml-cpp throws is an
// error in `diag`.
template <typename Read>
void ReadingYaml(Diagnostics& diag, Read&& read) {
  try {
    read();
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's guard for its stack
    diag.Error({e.mark.line + 1, e.mark.column + 1},
               "the table is nested too deeply (yaml-cpp stops at " +
                   std::to_string(e.depth()) + " levels)");
  } catch (const YAML::Exception& e) {
    diag.Error({e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
  }
}

const char* KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null: return "nothing";
    default: return "a scalar";
  }
}

class Loader {
 public:
  explicit Loader(Diagnostics& diag) : diag_(&diag) {}

  void Load(const YAML::Node& root, ServiceTable& table);

 private:
  void Error(Position p, std::string message) {
    diag_->Error(p, std::move(message));
  }
  // The entries of a map node; unknown and duplicate keys are reported.
  Entries ReadMap(const YAML::Node& map, const std::set<std::string>& known,
                  const std::string& what);

  bool Scalar(const std::string& key, const Entry& e, std::string& out);
  template <typename T>
  bool Check(const std::string& key, const Entry& e, const Parsed<T>& parsed,
             T& out);
  void Integer(const std::string& key, const Entry& e, long long min,
               long long max, int& out);
  void Bool(const std::string& key, const Entry& e, bool& out);
  void Duration(const std::string& key, const Entry& e, superd::Duration& out);
  std::vector<Entry> StringList(const std::string& key, const Entry& e);

  void LoadServices(const Entry& services, const Entries& defaults, ServiceTable& table,
                    std::vector<Position>& where);
  void LoadIncludes(const Entry& e, const Entries& defaults, ServiceTable& table,
                    std::vector<Position>& where);
  void LoadInclude(const std::string& file, const Entries& defaults, ServiceTable& table,
                   std::vector<Position>& where);
  std::vector<std::string> Files(const std::string& key, const Entry& e, ServiceTable& table);
  void LoadInetdConfs(const Entry& e, ServiceTable& table, std::vector<Position>& where);
  void AddInetdService(InetdService entry, const std::string* file, ServiceTable& table,
                       std::vector<Position>& where);
  std::optional<Entries> ReadService(const std::string& name,
                                     const YAML::Node& key,
                                     const YAML::Node& body,
                                     const Entries& defaults);
  void LoadSettings(const std::string& what, Position at,
                    const Entries& entries, bool require, Service& service);
  void LoadListen(const Entry& e, Service& service);
  void LoadProgram(const Entries& entries, Service& service);
  void LoadCredentials(const Entries& entries, Service& service);
  bool LoadGroup(const Entry& e, gid_t& gid);
  bool LoadUser(const Entry& e, bool have_group, User& user);
  void LoadEnv(const Entry& e, Service& service);
  void LoadDirectory(const Entry& e, Service& service);
  void LoadPolicy(const Entries& entries, Service& service);
  void LoadProxy(const Entries& entries, bool service_itself, Service& service);
  void CheckExecSize(const Entries& entries, const Service& service);
  void LoadSourcePrefix(const Entry& e, SourcePrefix& out);
  void LoadRate(const std::string& key, const Entry& e, Rate& out);
  std::shared_ptr<const CidrSet> LoadCidrs(const std::string& key, const Entry& e);
  void LoadRlimits(const Entry& e, Service& service);
  void CheckWaitPolicy(const Entries& entries, const Service& service);
  void CheckEndpointsUnique(const ServiceTable& table,
                            const std::vector<Position>& where);

  Diagnostics* diag_;                // of the file being read
  std::deque<std::string> files_;    // every file read, for positions
  const std::string* current_file_ = nullptr;
  std::unordered_map<std::string, Position> names_;  // service -> where defined
  std::set<std::string> inetd_names_;  // those of names_ from inetd.conf files
  std::unordered_map<std::string, std::string> programs_checked_;  // -> problem
  // Lists compiled once per node: a list in `defaults` serves every service.
  std::map<std::pair<std::string, std::pair<int, int>>, std::shared_ptr<const CidrSet>>
      cidr_lists_;
};

Entries Loader::ReadMap(const YAML::Node& map,
                        const std::set<std::string>& known,
                        const std::string& what) {
  Entries entries;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      Error(Pos(key), (what.empty() ? "" : what + " ") + "keys must be strings");
      continue;
    }
    const std::string name = key.Scalar();
    if (!known.empty() && !known.contains(name)) {
      Error(Pos(key), "unknown key '" + name + "'" +
                          (what.empty() ? "" : " in " + what));
      continue;
    }
    const Entry& first = entries.Add(name, Entry{key, it->second});
    if (first.key != key) {
      Error(Pos(key), "duplicate key '" + name + "' (first at line " +
                          std::to_string(Pos(first.key).line) + ")");
    }
  }
  return entries;
}

bool Loader::Scalar(const std::string& key, const Entry& e, std::string& out) {
  if (!e.value.IsScalar()) {
    Error(Pos(e), key + ": expected a single value, not " + KindName(e.value));
    return false;
  }
  out = e.value.Scalar();
  return true;
}

template <typename T>
bool Loader::Check(const std::string& key, const Entry& e,
                   const Parsed<T>& parsed, T& out) {
  if (auto* error = std::get_if<std::string>(&parsed)) {
    Error(Pos(e), key + ": " + *error);
    return false;
  }
  out = std::get<T>(parsed);
  return true;
}

void Loader::Integer(const std::string& key, const Entry& e, long long min,
                     long long max, int& out) {
  std::string text;
  long long n;
  if (Scalar(key, e, text) && Check(key, e, ParseInteger(text, min, max), n))
    out = static_cast<int>(n);
}

void Loader::Bool(const std::string& key, const Entry& e, bool& out) {
  std::string text;
  if (!Scalar(key, e, text)) return;
  bool value;
  if (!YAML::convert<bool>::decode(e.value, value)) {
    Error(Pos(e), key + ": expected true or false, not '" + text + "'");
    return;
  }
  out = value;
}

void Loader::Duration(const std::string& key, const Entry& e,
                      superd::Duration& out) {
  std::string text;
  if (Scalar(key, e, text)) Check(key, e, ParseDuration(text), out);
}

// A scalar or a list of scalars, as entries (each with its own position).
std::vector<Entry> Loader::StringList(const std::string& key, const Entry& e) {
  std::vector<Entry> items;
  if (e.value.IsScalar()) return {e};
  if (!e.value.IsSequence()) {
    Error(Pos(e), key + ": expected a string or a list of strings, not " +
                      KindName(e.value));
    return items;
  }
  for (const YAML::Node& item : e.value) {
    if (item.IsScalar())
      items.push_back({e.key, item});
    else
      Error(Pos(item), key + ": expected a string, not " + KindName(item));
  }
  return items;
}

void Loader::Load(const YAML::Node& root, ServiceTable& table) {
  current_file_ = &files_.emplace_back(table.path);
  table.files.push_back(table.path);
  if (root.IsNull()) {
    Error(Pos(root), "the table is empty (it needs at least a 'services' key)");
    return;
  }
  if (!root.IsMap()) {
    Error(Pos(root), "the table must be a map with a 'services' key, not " +
                         std::string(KindName(root)));
    return;
  }
  Entries top = ReadMap(root, kTopKeys, "");
  if (auto* e = top.Find("max_children"))
    Integer("max_children", *e, 1, 1 << 20, table.max_children);
  if (auto* e = top.Find("shutdown_grace"))
    Duration("shutdown_grace", *e, table.shutdown_grace);
  if (auto* e = top.Find("watch")) Bool("watch", *e, table.watch);

  Entries defaults;
  bool defaults_valid = true;
  if (auto* e = top.Find("defaults")) {
    if (e->value.IsMap()) {
      for (const auto& [key, entry] : ReadMap(e->value, kServiceKeys, "defaults"))
        defaults.Add(key, Entry{entry.key, entry.value, current_file_});
      // Checked on their own too, so that a bad default every service
      // overrides is still reported.
      Service unused;
      const size_t errors = diag_->errors().size();
      LoadSettings("defaults", Pos(e->key), defaults, false, unused);
      defaults_valid = diag_->errors().size() == errors;
    } else if (!e->value.IsNull()) {
      Error(Pos(*e), "defaults: expected a map, not " +
                         std::string(KindName(e->value)));
    }
  }

  std::vector<Position> where;  // of each service's name
  const Entry* services = top.Find("services");
  if (services == nullptr)
    Error(Pos(root), "missing required key 'services'");
  else
    LoadServices(*services, defaults, table, where);
  // An included file's services inherit the defaults, unless they are
  // wrong: their errors are the table's, reported once, above.
  if (auto* e = top.Find("include"))
    LoadIncludes(*e, defaults_valid ? defaults : Entries(), table, where);
  if (auto* e = top.Find("inetd_conf")) LoadInetdConfs(*e, table, where);
  CheckEndpointsUnique(table, where);
}

void Loader::LoadServices(const Entry& services, const Entries& defaults,
                          ServiceTable& table, std::vector<Position>& where) {
  const YAML::Node& body = services.value;
  if (body.IsNull()) return;  // an empty table is valid: it serves nothing
  if (!body.IsMap()) {
    Error(Pos(services),
          "services: expected a map of services, not " +
              std::string(KindName(body)));
    return;
  }
  if (table.services.size() + body.size() > kMaxServices) {
    Error(Pos(services), "services: " + std::to_string(table.services.size() + body.size()) +
                             " services in the table, more than " +
                             std::to_string(kMaxServices));
    return;
  }
  for (auto& [name, e] : ReadMap(body, {}, "services")) {
    Position at = Pos(e.key);
    at.file = current_file_;
    auto [first, inserted] = names_.emplace(name, at);
    if (!inserted) {
      Error(at, "service '" + name + "' is defined twice (first at " + Where(first->second) +
                    ")");
      continue;
    }
    Service service;
    service.name = name;
    if (auto entries = ReadService(name, e.key, e.value, defaults))
      LoadSettings("service '" + name + "'", Pos(e.key), *entries, true, service);
    where.push_back(at);
    table.services.push_back(std::move(service));
  }
}

// The files the patterns of `key` name, each pattern's in sorted order,
// that the table has not read yet; the patterns, made absolute, are
// watched.
std::vector<std::string> Loader::Files(const std::string& key, const Entry& e,
                                       ServiceTable& table) {
  std::vector<std::string> files;
  for (const Entry& item : StringList(key, e)) {
    const std::string pattern = item.value.Scalar();
    if (pattern.empty()) {
      Error(Pos(item), key + ": expected a file name or pattern, not an empty string");
      continue;
    }
    table.patterns.push_back(pattern[0] == '/' ? pattern
                                               : DirectoryOf(table.path) + "/" + pattern);
    for (const std::string& file : ExpandPattern(pattern, table.path)) {
      if (std::find(table.files.begin(), table.files.end(), file) != table.files.end())
        continue;
      table.files.push_back(file);
      files.push_back(file);
    }
  }
  return files;
}

// `include`: further YAML files of services; a file two patterns name is
// read once.
void Loader::LoadIncludes(const Entry& e, const Entries& defaults, ServiceTable& table,
                          std::vector<Position>& where) {
  for (const std::string& file : Files("include", e, table))
    LoadInclude(file, defaults, table, where);
}

// `inetd_conf`: files in inetd.conf format (inetd_conf.hpp), read after
// every YAML file, since a YAML service replaces the entries of its name.
void Loader::LoadInetdConfs(const Entry& e, ServiceTable& table,
                            std::vector<Position>& where) {
  const std::string internal = InternalProgramsDir();
  for (const std::string& file : Files("inetd_conf", e, table)) {
    const std::string* name = &files_.emplace_back(file);
    std::string text;
    if (const std::string why = ReadTableFile(file, text); !why.empty()) {
      Diagnostics own(file);
      own.Error({}, "unable to read the file: " + why);
      diag_->Merge(own);
      continue;
    }
    InetdConf conf = ReadInetdConf(text, file, internal);
    diag_->Merge(conf.diagnostics);
    for (InetdService& entry : conf.services)
      AddInetdService(std::move(entry), name, table, where);
  }
}

// An inetd.conf entry, unless a YAML service of its name, or of its
// service's, replaces it (as an xinetd.d file hides an inetd.conf entry);
// an entry whose name another inetd.conf file took first is NAME.2, .3, ...
void Loader::AddInetdService(InetdService entry, const std::string* file, ServiceTable& table,
                             std::vector<Position>& where) {
  for (const std::string* name : {&entry.service.name, &entry.inetd_name}) {
    auto it = names_.find(*name);
    if (it != names_.end() && !inetd_names_.contains(*name)) return;  // replaced
  }
  const std::string base = entry.service.name;
  for (int n = 2; names_.contains(entry.service.name); ++n)
    entry.service.name = base + "." + std::to_string(n);
  if (table.services.size() >= kMaxServices) {
    Error({}, "inetd_conf: more than " + std::to_string(kMaxServices) +
                  " services in the table");
    return;
  }
  Position at = entry.position;
  at.file = file;
  names_.emplace(entry.service.name, at);
  inetd_names_.insert(entry.service.name);
  where.push_back(at);
  table.services.push_back(std::move(entry.service));
}

// One included file: a map holding `services`, and nothing else.
void Loader::LoadInclude(const std::string& file, const Entries& defaults, ServiceTable& table,
                         std::vector<Position>& where) {
  Diagnostics own(file);
  Diagnostics* const table_diag = std::exchange(diag_, &own);
  const std::string* const table_file = std::exchange(current_file_, &files_.emplace_back(file));
  std::string text;
  if (const std::string why = ReadTableFile(file, text); !why.empty()) {
    Error({}, "unable to read the file: " + why);
  } else {
    ReadingYaml(own, [&] {
      const YAML::Node root = YAML::Load(text);
      if (!root.IsMap()) {
        Error(Pos(root), "an included file must be a map with a 'services' key, not " +
                             std::string(KindName(root)));
        return;
      }
      const Entries top = ReadMap(root, {"services"}, "");
      if (const Entry* services = top.Find("services"))
        LoadServices(*services, defaults, table, where);
      else
        Error(Pos(root), "missing required key 'services'");
    });
  }
  current_file_ = table_file;
  diag_ = table_diag;
  diag_->Merge(own);
}

// A service's own entries, then those it inherits from `defaults`.
std::optional<Entries> Loader::ReadService(const std::string& name,
                                           const YAML::Node& key,
                                           const YAML::Node& body,
                                           const Entries& defaults) {
  const std::string what = "service '" + name + "'";
  bool name_ok = !name.empty() &&
                 std::all_of(name.begin(), name.end(), [](unsigned char c) {
                   return std::isalnum(c) || c == '-' || c == '_' || c == '.';
                 });
  if (!name_ok)
    Error(Pos(key), "invalid service name '" + name +
                        "' (letters, digits, '-', '_' and '.' only)");
  if (!body.IsMap()) {
    Error(body.IsNull() ? Pos(key) : Pos(body),
          what + ": expected a map of settings, not " + KindName(body));
    return std::nullopt;
  }
  Entries entries = ReadMap(body, kServiceKeys, what);
  for (const auto& [k, e] : defaults) entries.Add(k, e);  // inherit
  return entries;
}

// Every service key of `entries`; `require` the keys a service must have.
void Loader::LoadSettings(const std::string& what, Position at,
                          const Entries& entries, bool require,
                          Service& service) {
  auto find = [&](const char* k) { return entries.Find(k); };
  if (auto* e = find("disabled")) Bool("disabled", *e, service.disabled);
  if (auto* e = find("protocol")) {
    std::string text;
    if (Scalar("protocol", *e, text)) {
      if (text == "tcp") service.protocol = Protocol::kTcp;
      else if (text == "udp") service.protocol = Protocol::kUdp;
      else Error(Pos(*e), "protocol: expected tcp or udp, not '" + text + "'");
    }
  }
  service.wait = service.protocol == Protocol::kUdp;
  if (auto* e = find("wait")) {
    Bool("wait", *e, service.wait);
    if (service.protocol == Protocol::kUdp && !service.wait)
      Error(Pos(*e), "wait: udp services are wait services; "
                     "'wait: false' needs protocol tcp");
  }
  if (auto* e = find("listen")) LoadListen(*e, service);
  else if (require) Error(at, what + ": missing required key 'listen'");
  LoadProgram(entries, service);
  if (!find("program") && require)
    Error(at, what + ": missing required key 'program'");
  LoadCredentials(entries, service);
  if (auto* e = find("env")) LoadEnv(*e, service);
  CheckExecSize(entries, service);
  if (auto* e = find("working_directory")) LoadDirectory(*e, service);
  if (auto* e = find("umask")) {
    std::string text;
    unsigned mask;
    if (Scalar("umask", *e, text) && Check("umask", *e, ParseUmask(text), mask))
      service.umask = mask;
  }
  if (auto* e = find("nice")) Integer("nice", *e, -20, 19, service.nice);
  if (auto* e = find("max_instances"))
    Integer("max_instances", *e, 1, 1 << 20, service.max_instances);
  if (auto* e = find("backlog")) Integer("backlog", *e, 1, 65535, service.backlog);
  if (auto* e = find("timeout")) Duration("timeout", *e, service.timeout);
  if (auto* e = find("rlimits")) LoadRlimits(*e, service);
  if (auto* e = find("keepalive")) Bool("keepalive", *e, service.keepalive);
  if (auto* e = find("reuse_port")) {
    Bool("reuse_port", *e, service.reuse_port);
    const bool unix_socket = std::any_of(service.listen.begin(), service.listen.end(),
                                         [](const Endpoint& ep) {
                                           return ep.address.family() == AF_UNIX;
                                         });
    if (service.reuse_port && unix_socket)
      Error(Pos(*e), "reuse_port: a UNIX socket's path names one socket; only tcp and udp "
                     "ports can be shared");
  }
  for (const char* key : {"sndbuf", "rcvbuf"}) {
    std::string text;
    if (auto* e = find(key); e && Scalar(key, *e, text))
      Check(key, *e, ParseBufferSize(text), key[0] == 's' ? service.sndbuf : service.rcvbuf);
  }
  LoadPolicy(entries, service);
  LoadProxy(entries, require, service);
  if (auto* e = find("stderr")) {
    std::string text = "null";  // `stderr: null` unquoted is a YAML null
    if (e->value.IsNull() || Scalar("stderr", *e, text)) {
      if (text == "inherit") service.stderr_mode = StderrMode::kInherit;
      else if (text == "null") service.stderr_mode = StderrMode::kNull;
      else if (text == "socket") service.stderr_mode = StderrMode::kSocket;
      else Error(Pos(*e), "stderr: expected inherit, null or socket, not '" +
                              text + "'");
    }
  }
}

// An argument list or environment execve(2) would refuse (E2BIG) fails
// every spawn: it is a load error, at `argv0`, `args` or `env`.
void Loader::CheckExecSize(const Entries& entries, const Service& service) {
  if (service.disabled) return;  // never executed
  if (!entries.Find("args") && !entries.Find("env") && !entries.Find("argv0")) return;
  const auto problem = superd::CheckExecSize(service);
  if (!problem) return;
  std::string key = problem->key;
  const Entry* at = entries.Find(key);
  if (at == nullptr)
    at = entries.Find(key = entries.Find("args") ? "args" : entries.Find("env") ? "env" : "argv0");
  Error(Pos(*at), key + ": " + problem->message);
}

void Loader::LoadPolicy(const Entries& entries, Service& service) {
  Policy& p = service.policy;
  if (service.wait) p.rate_limit = kWaitRateLimit;
  if (auto* e = entries.Find("max_per_source"))
    Integer("max_per_source", *e, 0, 1 << 20, p.max_per_source);
  if (auto* e = entries.Find("source_prefix")) LoadSourcePrefix(*e, p.source_prefix);
  if (auto* e = entries.Find("rate_limit")) LoadRate("rate_limit", *e, p.rate_limit);
  if (auto* e = entries.Find("rate_limit_pause"))
    Duration("rate_limit_pause", *e, p.rate_limit_pause);
  if (auto* e = entries.Find("rate_limit_per_source"))
    LoadRate("rate_limit_per_source", *e, p.rate_limit_per_source);
  if (auto* e = entries.Find("allow")) p.allow = LoadCidrs("allow", *e);
  if (auto* e = entries.Find("deny")) p.deny = LoadCidrs("deny", *e);
  CheckWaitPolicy(entries, service);
}

// A wait program reads its clients itself: superd sees only the client that
// starts it, so limits per client cannot hold for the program's life.
// `proxy_protocol` and `proxy_from`: together, and only where superd
// accepts the connections itself (tcp nowait, on IP sockets). In
// `defaults` (not `service_itself`) either may come without the other.
void Loader::LoadProxy(const Entries& entries, bool service_itself, Service& service) {
  const Entry* on = entries.Find("proxy_protocol");
  const Entry* from = entries.Find("proxy_from");
  if (on) Bool("proxy_protocol", *on, service.proxy_protocol);
  if (from) service.policy.proxy_from = LoadCidrs("proxy_from", *from);
  if (!service_itself) return;
  if (!service.proxy_protocol) {
    if (from && !on)
      Error(Pos(*from), "proxy_from: the load balancers trusted to send PROXY headers; "
                        "without 'proxy_protocol: true' no header is read");
    return;
  }
  if (!from)
    Error(Pos(*on), "proxy_protocol: needs proxy_from, the load balancers trusted to "
                    "send PROXY headers (anyone else could claim any client address)");
  else if (from->value.IsSequence() && from->value.size() == 0)
    Error(Pos(*from), "proxy_from: an empty list trusts no load balancer: every "
                      "connection would be refused");
  if (service.wait)
    Error(Pos(*on), "proxy_protocol: a wait service's program accepts its connections "
                    "itself, so superd cannot read their headers");
  for (const Endpoint& ep : service.listen) {
    if (ep.address.family() != AF_UNIX) continue;
    Error(Pos(*on), "proxy_protocol: " + ep.spec + ": a UNIX socket's peers have no "
                    "address proxy_from could trust");
    break;
  }
}

void Loader::CheckWaitPolicy(const Entries& entries, const Service& service) {
  if (!service.wait) return;
  const Policy& p = service.policy;
  const char* why = ": a wait service's program reads its clients itself, so "
                    "superd cannot count them per source";
  if (p.max_per_source > 0)
    Error(Pos(*entries.Find("max_per_source")), "max_per_source" + std::string(why));
  if (!p.rate_limit_per_source.off())
    Error(Pos(*entries.Find("rate_limit_per_source")),
          "rate_limit_per_source" + std::string(why));
  if (service.protocol != Protocol::kTcp) return;
  for (const char* key : {"allow", "deny"}) {
    const Entry* e = entries.Find(key);
    if (e && !(key[0] == 'a' ? p.allow : p.deny)->empty())
      Error(Pos(*e), std::string(key) + ": a tcp wait service's program accepts its "
                     "connections itself, so superd cannot check them; use a udp "
                     "service, 'wait: false', or a firewall");
  }
}

void Loader::LoadSourcePrefix(const Entry& e, SourcePrefix& out) {
  if (!e.value.IsMap()) {
    Error(Pos(e), "source_prefix: expected a map {ipv4: 0..32, ipv6: 0..128}, not " +
                      std::string(KindName(e.value)));
    return;
  }
  Entries prefix = ReadMap(e.value, {"ipv4", "ipv6"}, "source_prefix");
  if (auto* v4 = prefix.Find("ipv4")) Integer("source_prefix: ipv4", *v4, 0, 32, out.ipv4);
  if (auto* v6 = prefix.Find("ipv6")) Integer("source_prefix: ipv6", *v6, 0, 128, out.ipv6);
}

void Loader::LoadRate(const std::string& key, const Entry& e, Rate& out) {
  std::string text;
  if (Scalar(key, e, text)) Check(key, e, ParseRate(text), out);
}

std::shared_ptr<const CidrSet> Loader::LoadCidrs(const std::string& key,
                                                 const Entry& e) {
  const Position at = Pos(e);
  auto& compiled = cidr_lists_[{key, {at.line, at.column}}];
  if (compiled) return compiled;
  std::vector<Cidr> rules;
  if (!e.value.IsSequence() && !e.value.IsNull()) {
    Error(Pos(e), key + ": expected a list of addresses (CIDR), not " +
                      std::string(KindName(e.value)));
  } else {
    for (const Entry& item : StringList(key, e)) {
      Cidr rule;
      if (Check(key, item, ParseCidr(item.value.Scalar()), rule))
        rules.push_back(std::move(rule));
    }
  }
  return compiled = std::make_shared<const CidrSet>(std::move(rules));
}

// `rlimits`: sizes with K/M/G, `cpu` a duration in whole seconds, counts
// for `nofile` and `nproc`; "unlimited" for any but `nofile`.
void Loader::LoadRlimits(const Entry& e, Service& service) {
  if (!e.value.IsMap()) {
    Error(Pos(e), "rlimits: expected a map of limits, not " +
                      std::string(KindName(e.value)));
    return;
  }
  static const std::map<std::string, int> kResources = {
      {"as", RLIMIT_AS},       {"cpu", RLIMIT_CPU},     {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE}, {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},
      {"core", RLIMIT_CORE}};
  std::set<std::string> known;
  for (const auto& [name, resource] : kResources) known.insert(name);
  for (const auto& [name, item] : ReadMap(e.value, known, "rlimits")) {
    const std::string key = "rlimits: " + name;
    std::string text;
    if (!Scalar(key, item, text)) continue;
    unsigned long long value = RLIM_INFINITY;
    if (name == "cpu" && text != "unlimited") {
      superd::Duration d;
      if (!Check(key, item, ParseDuration(text), d)) continue;
      if (d.count() % 1000 != 0 || d.count() == 0) {
        Error(Pos(item), key + ": the kernel counts CPU time in whole seconds, not '" +
                             text + "'");
        continue;
      }
      value = d.count() / 1000;
    } else if (name == "nofile" || name == "nproc") {
      long long n;
      if (name == "nproc" && text == "unlimited") {
        value = RLIM_INFINITY;
      } else if (Check(key, item, ParseInteger(text, 0, 1 << 20), n)) {
        value = n;
      } else {
        continue;
      }
    } else if (!Check(key, item, ParseSize(text, 1ull << 50), value)) {
      continue;
    }
    service.rlimits.push_back({kResources.at(name), value});
  }
}

void Loader::LoadListen(const Entry& e, Service& service) {
  const int socktype =
      service.protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  for (const Entry& item : StringList("listen", e)) {
    const std::string text = item.value.Scalar();
    ListenParts parts;
    if (!Check("listen", item, ParseListen(text), parts)) continue;
    if (parts.unix_socket) {
      service.listen.push_back({text, SocketAddress::Unix(parts.path), false});
      continue;
    }
    if (parts.host.empty()) {  // every address: one dual-stack socket
      auto port = ResolvePort(parts.port, socktype == SOCK_DGRAM ? "udp" : "tcp");
      uint16_t number;
      if (Check("listen", item, port, number))
        service.listen.push_back(
            {text, SocketAddress::Any(AF_INET6, number), true});
      continue;
    }
    std::vector<SocketAddress> addresses;
    if (!Check("listen", item, ResolveInet(parts.host, parts.port, socktype),
               addresses))
      continue;
    for (const SocketAddress& a : addresses)
      service.listen.push_back({text, a, false});
  }
  if (service.listen.empty() && e.value.IsSequence() && e.value.size() == 0)
    Error(Pos(e), "listen: expected at least one address");
}

void Loader::LoadProgram(const Entries& entries, Service& service) {
  if (const Entry* argv0 = entries.Find("argv0")) {
    if (Scalar("argv0", *argv0, service.argv0) && service.argv0.empty())
      Error(Pos(*argv0), "argv0: must not be empty (without argv0, argv[0] is the program)");
  }
  if (const Entry* args = entries.Find("args")) {
    const Entry& e = *args;
    if (!e.value.IsSequence() && !e.value.IsNull()) {
      Error(Pos(e), "args: expected a list of strings, not " +
                        std::string(KindName(e.value)));
    } else {
      for (const Entry& item : StringList("args", e))
        service.args.push_back(item.value.Scalar());
    }
  }
  const Entry* program = entries.Find("program");
  if (program == nullptr || !Scalar("program", *program, service.program))
    return;
  const Entry& e = *program;
  const std::string& path = service.program;
  if (path.empty() || path[0] != '/') {
    Error(Pos(e), "program: must be an absolute path, not '" + path + "'");
    return;
  }
  if (service.disabled) return;  // a disabled entry may name a missing program
  // Large tables run one program many times: look at each file once.
  auto [checked, first] = programs_checked_.try_emplace(path);
  if (first) checked->second = ProgramProblem(path);
  if (!checked->second.empty()) Error(Pos(e), "program: " + checked->second);
}

// `group`: a gid or a group name.
bool Loader::LoadGroup(const Entry& e, gid_t& gid) {
  std::string text;
  return Scalar("group", e, text) && Check("group", e, FindGroup(text), gid);
}

// `user`: a uid or a user name; a uid the password database does not know
// needs `group` too.
bool Loader::LoadUser(const Entry& e, bool have_group, User& user) {
  std::string text;
  if (!Scalar("user", e, text) || !Check("user", e, FindUser(text), user)) return false;
  if (user.name.empty() && !have_group) {
    Error(Pos(e), "user: uid " + text + " has no passwd entry; set 'group' as well");
    return false;
  }
  return true;
}

void Loader::LoadCredentials(const Entries& entries, Service& service) {
  const Entry* user = entries.Find("user");
  const Entry* group = entries.Find("group");
  if (user == nullptr && group == nullptr) return;
  User u;
  gid_t gid = 0;
  // Both are checked, so that both are reported.
  const bool group_ok = group == nullptr || LoadGroup(*group, gid);
  const bool user_ok = user == nullptr || LoadUser(*user, group != nullptr, u);
  if (!group_ok || !user_ok) return;
  service.credentials = CredentialsOf(user ? std::optional<User>(u) : std::nullopt,
                                      group ? std::optional<gid_t>(gid) : std::nullopt);
}

void Loader::LoadEnv(const Entry& e, Service& service) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(Pos(e), "env: expected a map of NAME: value, not " +
                      std::string(KindName(e.value)));
    return;
  }
  if (e.value.size() > kMaxEnv) {
    Error(Pos(e), "env: more than " + std::to_string(kMaxEnv) + " variables");
    return;
  }
  for (auto& [name, item] : ReadMap(e.value, {}, "env")) {
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                 std::all_of(name.begin(), name.end(), [](unsigned char c) {
                   return std::isalnum(c) || c == '_';
                 });
    std::string value;
    if (!valid)
      Error(Pos(item.key), "env: invalid variable name '" + name + "'");
    else if (Scalar("env: " + name, item, value))
      service.env.emplace_back(name, value);
  }
}

void Loader::LoadDirectory(const Entry& e, Service& service) {
  std::string path;
  if (!Scalar("working_directory", e, path)) return;
  struct stat st;
  if (path.empty() || path[0] != '/')
    Error(Pos(e), "working_directory: must be an absolute path, not '" + path + "'");
  else if (stat(path.c_str(), &st) != 0)
    Error(Pos(e), "working_directory: unable to find " + path + ": " + strerror(errno));
  else if (!S_ISDIR(st.st_mode))
    Error(Pos(e), "working_directory: " + path + " is not a directory");
  else
    service.working_directory = path;
}

std::string Described(const Endpoint& ep, Protocol protocol) {
  std::string address = ep.dual_stack ? "*:" + std::to_string(ep.address.Port())
                                      : ep.address.ToString();
  return address + (protocol == Protocol::kUdp ? "/udp" : "/tcp");
}

// Whether a socket bound to `wild` leaves no room for `other` on the same
// port (superd sets SO_REUSEADDR on no socket that could share a port).
bool Covers(const Endpoint& wild, const Endpoint& other) {
  if (&wild == &other || wild.address.Port() != other.address.Port() ||
      other.address.family() == AF_UNIX)
    return false;
  if (wild.dual_stack) return true;
  const std::string ip = wild.address.Ip();
  return (ip == "0.0.0.0" || ip == "::") &&
         wild.address.family() == other.address.family();
}

// No two listen entries may need the same socket: bind would fail at start.
void Loader::CheckEndpointsUnique(const ServiceTable& table,
                                  const std::vector<Position>& where) {
  struct Owner {
    size_t service;
    const Endpoint* endpoint;
  };
  std::unordered_map<std::string, Owner> exact;  // "ADDRESS/PROTO"
  std::map<std::pair<uint16_t, Protocol>, std::vector<Owner>> ports;
  auto conflict = [&](size_t i, const Endpoint& ep, const Owner& other,
                      const char* how) {
    const Service& s = table.services[i];
    Error(where[i], "service '" + s.name + "': " + Described(ep, s.protocol) +
                        how + Described(*other.endpoint, s.protocol) +
                        " of service '" +
                        table.services[other.service].name + "'");
  };
  for (size_t i = 0; i < table.services.size(); ++i) {
    const Service& s = table.services[i];
    if (s.disabled) continue;
    for (const Endpoint& ep : s.listen) {
      std::string id = ep.address.ToString() +
                       (s.protocol == Protocol::kUdp ? "/udp" : "/tcp");
      auto [it, inserted] = exact.emplace(id, Owner{i, &ep});
      if (!inserted && it->second.service == i) {
        Error(where[i], "service '" + s.name + "': " + Described(ep, s.protocol) +
                            " is listed twice");
        continue;
      }
      if (!inserted) {
        conflict(i, ep, it->second, " is the same socket as ");
        continue;
      }
      if (ep.address.family() != AF_UNIX) {
        auto& owners = ports[{ep.address.Port(), s.protocol}];
        for (const Owner& other : owners) {
          if (Covers(*other.endpoint, ep) || Covers(ep, *other.endpoint)) {
            conflict(i, ep, other, " overlaps ");
            break;
          }
        }
        owners.push_back({i, &ep});
      }
    }
  }
}

}  // namespace

LoadResult ParseTable(const std::string& text, const std::string& path) {
  LoadResult result{std::nullopt, Diagnostics(path)};
  if (text.size() > kMaxTableBytes) {
    result.diagnostics.Error({1, 1}, "the table is " + std::to_string(text.size()) +
                                         " bytes, more than " +
                                         std::to_string(kMaxTableBytes >> 20) + " MiB");
    return result;
  }
  ServiceTable table;
  table.path = path;
  ReadingYaml(result.diagnostics,
              [&] { Loader(result.diagnostics).Load(YAML::Load(text), table); });
  if (result.diagnostics.empty()) result.table = std::move(table);
  return result;
}

LoadResult LoadTable(const std::string& path) {
  std::string text;
  if (const std::string why = ReadTableFile(path, text); !why.empty()) {
    LoadResult result{std::nullopt, Diagnostics(path)};
    result.diagnostics.Error({}, "unable to read the table: " + why);
    return result;
  }
  return ParseTable(text, path);
}

}  // namespace superd
