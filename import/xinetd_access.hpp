// xinetd's `only_from` and `no_access` as superd's `allow` and `deny`:
// the entries superd can match (addresses, CIDR blocks, and what xinetd
// reads as blocks: 10.0.0.0, 10.0.{1,2}), each other one a warning at its
// line. A client both lists match is refused by xinetd 2.3.15 and by
// superd alike, whatever xinetd.conf(5) says of the more specific entry
// winning; where that text would decide otherwise, a warning says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "imported_table.hpp"
#include "xinetd_service.hpp"

namespace superd::import {

struct XinetdAccess {
  std::vector<std::string> allow;  // `allow`
  std::vector<std::string> deny;   // `deny`
  // Set when only_from lets nobody in (empty, or nothing superd can
  // match): where, and why; the service is then imported disabled.
  std::optional<XinetdPosition> nobody_at;
  std::string nobody;
};

// `tcp_wait`: the service's program accepts its connections itself, and
// superd refuses allow and deny there. `service`: its name, for what a
// warning about a list of `defaults` says of it.
XinetdAccess ImportXinetdAccess(const XinetdSetting* only_from, const XinetdSetting* no_access,
                                bool tcp_wait, const std::string& service,
                                std::vector<ImportMessage>& messages);

}  // namespace superd::import
