// XinetdService: one service as xinetd sees it once its block's attribute
// operations are applied and the `defaults` are combined with them, the
// way xinetd 2.3.15 combines them (parse.c, confparse.c):
//   - only_from, no_access, passenv, log_on_*, banner* of `defaults` are
//     copied into a service when its block starts, so `+=` in the service
//     extends them and only services after the `defaults` block get them;
//   - instances, per_source, umask, bind, groups, cps, v6only, max_load
//     and log_type of `defaults` fill in what a service leaves unset,
//     whatever the order;
//   - in `defaults`, `=` adds to a list as `+=` does;
//   - `disabled` and `enabled` of `defaults` name service ids.
// It checks the grammar of attributes (which exist where, how many values,
// which operators), not their values: that is the mapping's (xinetd_import).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "imported_table.hpp"
#include "xinetd_conf.hpp"

namespace superd::import {

// One value and where it was written.
struct XinetdValue {
  std::string text;     // for only_from/no_access: one CIDR block, or the
                        // entry itself when it is no address
  std::string written;  // the entry as written (for a factorized entry,
                        // the whole of it)
  XinetdPosition position;
};

// One attribute of a service.
struct XinetdSetting {
  std::string attribute;       // as written ("interface" for bind)
  std::vector<XinetdValue> values;
  XinetdPosition position;     // of the operation that set it, or of the
                               // last one that changed a list
  bool from_defaults = false;  // inherited, not in the service's block
  // The values' texts.
  std::vector<std::string> Texts() const;
};

struct XinetdService {
  std::string name;          // `service NAME`
  XinetdPosition position;   // of its `service` line
  // By attribute, `interface` filed as `bind`.
  std::map<std::string, XinetdSetting> settings;
  // Set when `defaults` disables it: the position of its `disabled` (or
  // `enabled`) list.
  std::optional<XinetdPosition> disabled_by_defaults;

  const XinetdSetting* Find(const std::string& attribute) const;
};

// The services of `config`, in input order; problems with attributes go
// to `messages`, each at its line.
std::vector<XinetdService> ResolveXinetdServices(const XinetdConfig& config,
                                                 std::vector<ImportMessage>& messages);

// An ImportMessage at `at`.
ImportMessage MessageAt(const XinetdPosition& at, std::string text, bool warning);

}  // namespace superd::import
