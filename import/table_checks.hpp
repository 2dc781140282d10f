// What every import must settle before the table is written, whatever the
// input format, so that `superd --check` accepts it: service names superd
// takes (and each once), no two enabled services on one socket, text YAML
// can carry. Each fix is a warning at the service's line.
#pragma once

#include <string>
#include <string_view>

#include "imported_table.hpp"

namespace superd::import {

// `name` made a superd service name: letters, digits, '-', '_', '.'; any
// other byte becomes '_'.
std::string SanitizeServiceName(std::string_view name);

// Whether `text` is valid UTF-8 (what a YAML file must be).
bool ValidUtf8(std::string_view text);

// Over table.services, in order: a name already taken gets a suffix
// ("-2", "-3", ...); an enabled service whose socket an earlier enabled one
// already has (the same address, or a wildcard of its family, the same
// port and protocol; a host name counts as any address) is disabled, as
// xinetd serves only the first; a
// service holding text that is not UTF-8 is left out.
void SettleTable(ImportedTable& table);

}  // namespace superd::import
