// ImportXinetd: xinetd's services as superd services, attribute by
// attribute, as superd-import(8) describes it. What carries over exactly
// becomes a key; what does not is a warning at its line, and the service
// is still imported when superd can serve it in the same spirit. A service
// superd cannot serve at all (RPC, a redirect, a SENSOR) is left out with a
// warning; one xinetd itself would not serve (its server missing, no
// address left in only_from) is imported disabled, so that `superd
// --check` accepts the table; a malformed value is an error, and then
// there is no table. Pure but for the look-ups of ImportSystem.
#pragma once

#include <string>

#include "import_system.hpp"
#include "imported_table.hpp"
#include "xinetd_conf.hpp"

namespace superd::import {

struct XinetdImportOptions {
  // Where superd's sample services are, for xinetd's INTERNAL echo,
  // discard, daytime, chargen and time.
  std::string services_dir;
};

ImportedTable ImportXinetd(const std::string& source, const XinetdConfig& config,
                           const ImportSystem& system, const XinetdImportOptions& options);

}  // namespace superd::import
