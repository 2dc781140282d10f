// ImportInetdConf: an inetd.conf as a superd table, through the reader the
// daemon itself uses (superd/inetd_conf), so that the import gives exactly
// the services `inetd_conf` would serve; its errors and warnings are the
// import's. (An inetd.conf needs no import to be served: `inetd_conf`
// reads it as it is. The import is for whoever wants YAML to edit.)
#pragma once

#include <string>

#include "imported_table.hpp"

namespace superd::import {

// `services_dir`: where superd's sample services are (`internal` entries).
ImportedTable ImportInetdConf(const std::string& path, const std::string& services_dir);

}  // namespace superd::import
