// WriteTable: an ImportedTable as a superd.yaml(5) service table, written
// with yaml-cpp's emitter (so every string is quoted as YAML needs). A
// header comment says what was read, when, and whether warnings were
// printed; each service says where it came from. Keys follow the order of
// superd.yaml(5); a key left empty in the table is left out.
#pragma once

#include <string>

#include "imported_table.hpp"

namespace superd::import {

// `date`: when the import ran, as the header should give it.
std::string WriteTable(const ImportedTable& table, const std::string& date);

// A string that YAML would read back as something else (a number, a
// boolean, null), or that needs quotes anyway, is written double-quoted.
bool NeedsQuotes(const std::string& text);

}  // namespace superd::import
