#include "xinetd_service.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "xinetd_address.hpp"

namespace superd::import {
namespace {

// How many values an attribute takes, as xinetd's tables say (parse.c):
// exactly N, at least one (kSome), or a list that `+=` and `-=` change
// (kList; it may be empty).
constexpr int kSome = -1;
constexpr int kList = -2;

struct Spec {
  std::string_view name;
  int values;
};

// Debian's xinetd: built with libwrap, without mdns; with rlimit_files.
constexpr Spec kServiceSpecs[] = {
    {"socket_type", 1}, {"protocol", 1},     {"wait", 1},         {"user", 1},
    {"group", 1},       {"server", 1},       {"server_args", kSome},
    {"instances", 1},   {"log_on_success", kList}, {"log_on_failure", kList},
    {"log_type", kSome}, {"only_from", kList}, {"no_access", kList},
    {"access_times", kSome}, {"type", kSome}, {"rpc_version", 1}, {"rpc_number", 1},
    {"id", 1},          {"env", kList},      {"port", 1},         {"passenv", kList},
    {"flags", kSome},   {"nice", 1},         {"redirect", 2},     {"banner", 1},
    {"bind", 1},        {"interface", 1},    {"per_source", 1},   {"groups", 1},
    {"banner_success", 1}, {"banner_fail", 1}, {"cps", 2},        {"disable", 1},
    {"max_load", 1},    {"rlimit_as", 1},    {"rlimit_cpu", 1},   {"rlimit_data", 1},
    {"rlimit_files", 1}, {"rlimit_rss", 1},  {"rlimit_stack", 1}, {"v6only", 1},
    {"deny_time", 1},   {"umask", 1},        {"libwrap", 1},
};

constexpr Spec kDefaultsSpecs[] = {
    {"log_type", kList}, {"log_on_success", kList}, {"log_on_failure", kList},
    {"disabled", kList}, {"no_access", kList},      {"only_from", kList},
    {"instances", 1},    {"passenv", kList},        {"banner", 1},
    {"bind", 1},         {"interface", 1},          {"per_source", 1},
    {"groups", 1},       {"banner_success", 1},     {"banner_fail", 1},
    {"cps", 2},          {"enabled", kList},        {"max_load", 1},
    {"v6only", 1},       {"umask", 1},
};

// What a service copies from `defaults` when its block starts.
constexpr std::string_view kCopiedAtStart[] = {
    "only_from", "no_access", "passenv", "log_on_success", "log_on_failure",
    "banner", "banner_success", "banner_fail"};
// What `defaults` fills in after every file is read.
constexpr std::string_view kFilledAtEnd[] = {
    "instances", "per_source", "umask", "bind", "groups", "cps", "v6only",
    "max_load", "log_type"};

template <size_t N>
const Spec* FindSpec(const Spec (&specs)[N], std::string_view name) {
  for (const Spec& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

std::string Canonical(const std::string& name) { return name == "interface" ? "bind" : name; }

std::string Line(const XinetdPosition& p) { return "line " + std::to_string(p.line); }

bool IsAddressList(const std::string& name) { return name == "only_from" || name == "no_access"; }

// The values `written` adds to a list: for an address list, one per CIDR
// block it stands for.
std::vector<XinetdValue> Expand(const std::string& list, const std::string& written,
                                const XinetdPosition& at) {
  if (!IsAddressList(list)) return {{written, written, at}};
  const XinetdAddress a = ConvertXinetdAddress(written);
  if (a.cidrs.empty()) return {{written, written, at}};
  std::vector<XinetdValue> values;
  for (const std::string& cidr : a.cidrs) values.push_back({cidr, written, at});
  return values;
}

class Resolver {
 public:
  explicit Resolver(std::vector<ImportMessage>& messages) : messages_(messages) {}

  std::vector<XinetdService> Resolve(const XinetdConfig& config) {
    std::vector<XinetdService> services;
    std::set<std::string> files_with_defaults;
    for (const XinetdBlock& block : config.blocks) {
      if (block.defaults) {
        // One `defaults` per file; xinetd ignores a second one there.
        if (!files_with_defaults.insert(block.position.file).second) {
          Warn(block.position, "a second defaults block in this file: ignored, as xinetd does");
          continue;
        }
        for (const XinetdAttribute& a : block.attributes) Apply(a, true, defaults_);
        continue;
      }
      XinetdService service;
      service.name = block.name;
      service.position = block.position;
      for (std::string_view name : kCopiedAtStart) Inherit(std::string(name), service);
      for (const XinetdAttribute& a : block.attributes) Apply(a, false, service.settings);
      services.push_back(std::move(service));
    }
    for (XinetdService& service : services) {
      for (std::string_view name : kFilledAtEnd) Inherit(std::string(name), service);
      Disable(service);
    }
    return services;
  }

 private:
  void Error(const XinetdPosition& at, std::string text) {
    messages_.push_back(MessageAt(at, std::move(text), false));
  }
  void Warn(const XinetdPosition& at, std::string text) {
    messages_.push_back(MessageAt(at, std::move(text), true));
  }

  void Inherit(const std::string& name, XinetdService& service) {
    auto it = defaults_.find(name);
    if (it == defaults_.end() || service.settings.count(name)) return;
    XinetdSetting s = it->second;
    s.from_defaults = true;
    service.settings.emplace(name, std::move(s));
  }

  // `disabled` and `enabled` of `defaults` (confparse.c): with `enabled`,
  // only the ids it lists are served; `disabled` takes ids out.
  void Disable(XinetdService& service) {
    const XinetdSetting* id = service.Find("id");
    const std::string name = id ? id->values[0].text : service.name;
    auto lists = [&](const std::string& list) {
      auto it = defaults_.find(list);
      if (it == defaults_.end()) return std::optional<bool>();
      const std::vector<std::string> ids = it->second.Texts();
      return std::optional<bool>(std::find(ids.begin(), ids.end(), name) != ids.end());
    };
    if (std::optional<bool> listed = lists("enabled"); listed && !*listed)
      service.disabled_by_defaults = defaults_.at("enabled").position;
    if (std::optional<bool> listed = lists("disabled"); listed && *listed)
      service.disabled_by_defaults = defaults_.at("disabled").position;
  }

  void Apply(const XinetdAttribute& a, bool in_defaults,
             std::map<std::string, XinetdSetting>& settings) {
    const Spec* spec = in_defaults ? FindSpec(kDefaultsSpecs, a.name) : FindSpec(kServiceSpecs, a.name);
    if (spec == nullptr) {
      if (in_defaults && FindSpec(kServiceSpecs, a.name))
        Warn(a.position, a.name + " cannot be set in defaults: ignored, as xinetd does");
      else
        Warn(a.position, "unknown attribute '" + a.name + "': ignored, as xinetd does");
      return;
    }
    const std::string name = Canonical(a.name);
    auto it = settings.find(name);
    if (spec->values != kList) {
      if (it != settings.end() && !it->second.from_defaults) {
        Warn(a.position, a.name + " is already set (" + Line(it->second.position) +
                             "): ignored, as xinetd keeps the first");
        return;
      }
      if (a.op != XinetdOperator::kSet) {
        Warn(a.position, std::string(a.op == XinetdOperator::kAdd ? "'+='" : "'-='") +
                             " cannot change " + a.name + ", only '=': ignored, as xinetd does");
        return;
      }
      if (spec->values > 0 && a.values.size() != static_cast<size_t>(spec->values)) {
        Error(a.position, a.name + " takes " + std::to_string(spec->values) + " value" +
                              (spec->values == 1 ? "" : "s") + ", not " +
                              std::to_string(a.values.size()));
        return;
      }
      if (spec->values == kSome && a.values.empty()) {
        Error(a.position, a.name + " needs a value");
        return;
      }
      XinetdSetting s{a.name, {}, a.position, false};
      for (const std::string& v : a.values) s.values.push_back({v, v, a.position});
      settings[name] = std::move(s);
      return;
    }
    if (name == "env" && a.op == XinetdOperator::kRemove) {
      Error(a.position, "'-=' cannot change env (xinetd refuses it)");
      return;
    }
    XinetdSetting& s = settings[name];
    const XinetdOperator op = in_defaults && a.op == XinetdOperator::kSet ? XinetdOperator::kAdd : a.op;
    if (op == XinetdOperator::kSet || s.from_defaults) {
      // The service's own list starts from the copy of defaults, unless `=`.
      if (op == XinetdOperator::kSet) s.values.clear();
      s.from_defaults = false;
    }
    s.attribute = a.name;
    s.position = a.position;
    for (const std::string& written : a.values) {
      std::vector<XinetdValue> values = Expand(name, written, a.position);
      if (op == XinetdOperator::kRemove) {
        std::erase_if(s.values, [&](const XinetdValue& old) {
          return std::any_of(values.begin(), values.end(),
                             [&](const XinetdValue& v) { return v.text == old.text; });
        });
        continue;
      }
      // Sets of words: a word already there is not added twice.
      const bool set = name != "env" && !IsAddressList(name);
      for (XinetdValue& v : values) {
        if (set && std::any_of(s.values.begin(), s.values.end(),
                               [&](const XinetdValue& old) { return old.text == v.text; }))
          continue;
        s.values.push_back(std::move(v));
      }
    }
  }

  std::vector<ImportMessage>& messages_;
  std::map<std::string, XinetdSetting> defaults_;
};

}  // namespace

std::vector<std::string> XinetdSetting::Texts() const {
  std::vector<std::string> texts;
  for (const XinetdValue& v : values) texts.push_back(v.text);
  return texts;
}

const XinetdSetting* XinetdService::Find(const std::string& attribute) const {
  auto it = settings.find(attribute);
  return it == settings.end() ? nullptr : &it->second;
}

ImportMessage MessageAt(const XinetdPosition& at, std::string text, bool warning) {
  return {at.file, at.line, std::move(text), warning};
}

std::vector<XinetdService> ResolveXinetdServices(const XinetdConfig& config,
                                                 std::vector<ImportMessage>& messages) {
  return Resolver(messages).Resolve(config);
}

}  // namespace superd::import
